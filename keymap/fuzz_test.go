package keymap

import "testing"

// FuzzConfig: any config file text is read or refused with a message, never a panic, and
// whatever it rebinds leaves a map with no conflicting keys.
func FuzzConfig(f *testing.F) {
	f.Add([]byte("keys:\n  quit: [x, ctrl+c]\n  filter: \"f\"\n"))
	f.Add([]byte("keys:\n  top: j\n"))
	f.Add([]byte("keys: [1, 2]\n"))
	f.Add([]byte("{{{"))
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
		}
	})
}
