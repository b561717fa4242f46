package toolflags

import (
	"testing"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/acikit/acikit/internal/httpidle"
)

func TestStorePath(t *testing.T) {
	tests := []struct {
		flag      string
		euid      int
		xdg, home string
		want      string
	}{
		{"/s", 1000, "/x", "/home/u", "/s"},
		{"", 0, "/x", "/root", "/var/lib/acikit"},
		{"", 1000, "/x", "/home/u", "/x/acikit"},
		{"", 1000, "", "/home/u", "/home/u/.local/share/acikit"},
		{"", 1000, "rel", "/home/u", "/home/u/.local/share/acikit"},
		{"", 1000, "", "", ""},
	}
	for _, tt := range tests {
		if got := storePath(tt.flag, tt.euid, tt.xdg, tt.home); got != tt.want {
			t.Errorf("storePath(%q, %d, %q, %q) = %q, want %q", tt.flag, tt.euid, tt.xdg, tt.home, got, tt.want)
		}
	}
}

// --idle-timeout: the flag wins over $ACIKIT_IDLE_TIMEOUT over the default,
// and 0 turns the timeout off (-1 for the libraries).
func TestIdleTime(t *testing.T) {
	for _, tt := range []struct {
		env  string
		args []string
		want time.Duration
	}{
		{"", nil, httpidle.DefaultTimeout},
		{"3s", nil, 3 * time.Second},
		{"3s", []string{"--idle-timeout=5s"}, 5 * time.Second},
		{"3s", []string{"--idle-timeout=0"}, -1},
		{"0", nil, -1},
	} {
		t.Setenv(httpidle.Env, tt.env)
		var got time.Duration
		app := &ucli.App{Flags: []ucli.Flag{IdleTimeout()}, Action: func(c *ucli.Context) error {
			got = IdleTime(c)
			return nil
		}}
		if err := app.Run(append([]string{"tool"}, tt.args...)); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("env %q, args %q: IdleTime = %v, want %v", tt.env, tt.args, got, tt.want)
		}
	}
}
