package cli

import (
	"os"
	"path/filepath"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// isDirFlag says whether a flag names directories: "dir", "*-dir", or a
// colon list "*-path".
func isDirFlag(name string) bool {
	return name == "dir" || strings.HasSuffix(name, "-dir") || strings.HasSuffix(name, "-path")
}

// AbsDir makes a directory given on the command line or in the
// environment absolute, at start: a relative path means another directory
// once something records it (overlay mount options, a pod's status) and a
// later run starts elsewhere. "" stays "" (the default).
func AbsDir(dir string) string {
	if dir == "" || filepath.IsAbs(dir) {
		return dir
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// AbsPathList is AbsDir for each directory of a colon list.
func AbsPathList(list string) string {
	if list == "" {
		return list
	}
	parts := strings.Split(list, string(os.PathListSeparator))
	for i, p := range parts {
		parts[i] = AbsDir(p)
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// absDirs makes every directory flag set on the command line or by its
// environment variable absolute (see AbsDir), for every tool.
func absDirs(c *ucli.Context) error {
	var flags []ucli.Flag
	if c.Command != nil && c.Command.Name != "" {
		flags = c.Command.Flags
	} else if c.App != nil {
		flags = c.App.Flags
	}
	for _, f := range flags {
		sf, ok := f.(*ucli.StringFlag)
		if !ok || !isDirFlag(sf.Name) || !c.IsSet(sf.Name) {
			continue
		}
		v := c.String(sf.Name)
		abs := AbsDir(v)
		if strings.HasSuffix(sf.Name, "-path") {
			abs = AbsPathList(v)
		}
		if abs != v {
			if err := c.Set(sf.Name, abs); err != nil {
				return err
			}
		}
	}
	return nil
}
