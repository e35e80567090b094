package ui

import "testing"

// One of a thing is singular, everywhere the flows view and the status bar count.
func TestPlurals(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{counted(1, "record", "records"), "1 record"},
		{counted(0, "record", "records"), "0 records"},
		{counted(2784, "record", "records"), "2,784 records"},
		{counted(uint64(1), "retry", "retries"), "1 retry"},
		{counted(int64(3), "retry", "retries"), "3 retries"},
		{matchCount(1, 10, ""), "1 of 10 matches"},
		{matchCount(3, 10, ""), "3 of 10 match"},
		{matchCount(1, 1, "conversations"), "1 of 1 conversation matches"},
		{matchCount(7, 9, "conversations"), "7 of 9 conversations match"},
		{cutMiddle("exported 1 record to /a/long/path/file.jsonl", 24), "exported 1 …h/file.jsonl"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
