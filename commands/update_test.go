package commands

import "testing"

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"1024": 1024, "-1": -1, "1k": 1024, "512m": 512 << 20, "512M": 512 << 20, "2g": 2 << 30,
		"1.5g": 3 << 29, "128MiB": 128 << 20, "64kb": 64 << 10, "1t": 1 << 40,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "12q", "-2", "1..5m", "ten"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q): want an error", in)
		}
	}
}
