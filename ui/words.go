package ui

// counted writes a count with its noun in the right number: "1 record", "2,784
// records", "1 retry", "3 retries" (many is the plural form).
func counted[T ~int | ~int64 | ~uint64](n T, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}
