package toolflags

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	ucli "github.com/urfave/cli/v2"
)

// --auth-dir directories come back absolute, as every directory flag.
func TestAuthDirsAbsolute(t *testing.T) {
	wd, _ := os.Getwd()
	var got []string
	app := &ucli.App{Flags: []ucli.Flag{AuthDir()}, Action: func(c *ucli.Context) error {
		got = AuthDirs(c)
		return nil
	}}
	args := []string{"tool", "--auth-dir=a", "--auth-dir=/b"}
	if err := app.Run(args); err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(wd, "a"), "/b"}; !slices.Equal(got, want) {
		t.Errorf("AuthDirs(%q) = %q, want %q", args, got, want)
	}
}
