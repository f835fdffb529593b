package commands

import (
	"strings"
	"testing"
)

func TestCommandIn(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string
	}{
		{"runo run -d x", "run"},
		{"runo --root /r --log l --log-format json create x", "create"},
		{"runo --root=/r -log l --debug delete x", "delete"},
		{"runo -root /r --systemd-cgroup exec x ls", "exec"},
		// A flag's value that is a command's name is not the command.
		{"runo --root state list", "list"},
		{"runo --bogus run x", ""},
		{"runo --help", ""},
		{"runo -- run", ""},
		{"runo help run", ""},
		{"runo completion bash", ""},
		{"runo", ""},
		{"runo --root", ""},
	} {
		got := ""
		if c := commandIn(newApp(), strings.Fields(tc.args)); c != nil {
			got = c.Name
		}
		if got != tc.want {
			t.Errorf("%q: got command %q, want %q", tc.args, got, tc.want)
		}
	}
}
