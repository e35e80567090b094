package keymap

import "testing"

// FuzzConfig: any config file text is read or refused with a message, never a panic, and
// whatever it rebinds leaves a map with no conflicting keys and no key name the help
// could not draw.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("keys:\n  quit: [x, ctrl+c]\n  filter: \"f\"\n"))
	f.Add([]byte("keys:\n  top: j\n"))
	f.Add([]byte("keys: [1, 2]\n"))
	f.Add([]byte("{{{"))
	f.Add([]byte("keys:\n  help: \"\\e]52;c;aGk=\\a\"\n  up: [\"\\u009b\", k]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseConfig(data, "fuzz")
		if err != nil {
			return
		}
		m := Default()
		m.Override(keys)
		for i := range m.bindings {
			if c := m.conflict(i); c != "" {
				t.Fatalf("after overriding with %q: %s", data, c)
			}
			if bad := badKey(m.bindings[i].Keys); bad != "" {
				t.Fatalf("after overriding with %q: %q is bound", data, bad)
			}
		}
	})
}
