package keymap

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// ConfigPath is where the explorer looks for its config: $XDG_CONFIG_HOME/flowlens/
// config.yaml, or ~/.config/flowlens/config.yaml. The XDG location is used on macOS too,
// because that is where terminal users keep dotfiles.
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "flowlens", "config.yaml")
}

// config is the file's shape:
//
//	keys:
//	  quit: [q, ctrl+c]
//	  filter: "/"
type config struct {
	Keys map[string]keyList `yaml:"keys"`
}

// keyList accepts one key as a string or several as a list.
type keyList []string

func (k *keyList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*k = keyList{n.Value}
		return nil
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		*k = list
		return nil
	}
	return fmt.Errorf("line %d: keys are a string or a list of strings", n.Line)
}

// LoadConfig reads the key overrides from path; a missing file is no error.
func LoadConfig(path string) (map[string][]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return parseConfig(data, path)
}

// parseConfig reads the config file's text; name is for messages.
func parseConfig(data []byte, name string) (map[string][]string, error) {
	var c config
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make(map[string][]string, len(c.Keys))
	for name, keys := range c.Keys {
		out[name] = keys
	}
	return out, nil
}
