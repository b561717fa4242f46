package cli

import (
	"flag"
	"reflect"
	"slices"
	"strings"

	"github.com/acikit/acikit/internal/errkind"
	ucli "github.com/urfave/cli/v2"
)

// lineageFlags are read by every command through the context lineage
// (Logger asks for them), so giving them before any command is fine even
// where the command does not define them itself.
var lineageFlags = map[string]bool{"debug": true, "quiet": true, "q": true}

// flagSetOf is the flag set urfave parsed for one context. urfave/cli v2
// keeps it private, but only its Visit tells flags the user typed from
// values that came from the environment or a default (Context.IsSet and
// LocalFlagNames count the environment too).
func flagSetOf(c *ucli.Context) *flag.FlagSet {
	v := reflect.ValueOf(c).Elem().FieldByName("flagSet")
	if !v.IsValid() || v.IsNil() {
		return nil
	}
	return (*flag.FlagSet)(v.UnsafePointer())
}

// typed returns the names of the flags given on the command line of one
// context (every name of a flag with aliases, as urfave copies them).
func typed(c *ucli.Context) map[string]*flag.Flag {
	set := map[string]*flag.Flag{}
	if fs := flagSetOf(c); fs != nil {
		fs.Visit(func(f *flag.Flag) { set[f.Name] = f })
	}
	return set
}

// inheritFlags makes a flag the user gave before a command name count for
// that command. urfave/cli v2 answers c.String(name) from the innermost
// context that defines the flag, which is the command's own copy holding
// the environment or the default, so "tool --store-dir B rm X" would act
// on the store of $ACIKIT_STORE_DIR. Each flag set on an ancestor (nearest
// first) is copied into the command's same-named flag unless the command
// was given that flag itself; one the command neither defines nor reads
// through the lineage is a usage error rather than silently dropped.
func inheritFlags(c *ucli.Context) error {
	fs := flagSetOf(c)
	if fs == nil || c.Command == nil {
		return nil
	}
	own := typed(c)
	lineage := c.Lineage()
	for _, anc := range lineage[1:] {
		if anc.Command == nil {
			continue
		}
		given := typed(anc)
		if len(given) == 0 {
			continue
		}
		for _, af := range anc.Command.Flags {
			src := givenFlag(af, given)
			if src == nil || isHelpFlag(af) {
				continue
			}
			target := findFlag(c.Command.Flags, af)
			if target == nil {
				if lineageFlags[af.Names()[0]] {
					continue
				}
				return errkind.Usagef("flag --%s given before %q does not apply to %s", src.Name, c.Command.Name, c.Command.HelpName)
			}
			if givenFlag(target, own) != nil {
				continue // the command's own flag wins
			}
			if err := copyValue(fs, target, src); err != nil {
				return errkind.Usagef("flag --%s: %v", src.Name, err)
			}
			for _, n := range target.Names() {
				own[n] = fs.Lookup(n)
			}
		}
	}
	return nil
}

// givenFlag is the parsed flag of f if the user typed it (under any name).
func givenFlag(f ucli.Flag, given map[string]*flag.Flag) *flag.Flag {
	for _, n := range f.Names() {
		if g := given[n]; g != nil {
			return g
		}
	}
	return nil
}

// findFlag is the flag in flags sharing a name with f.
func findFlag(flags []ucli.Flag, f ucli.Flag) ucli.Flag {
	for _, g := range flags {
		for _, n := range f.Names() {
			if slices.Contains(g.Names(), n) {
				return g
			}
		}
	}
	return nil
}

func isHelpFlag(f ucli.Flag) bool {
	return ucli.HelpFlag != nil && slices.Contains(f.Names(), ucli.HelpFlag.Names()[0])
}

// copyValue sets every name of target in fs to src's value. Slice values
// go through their serialized form, which replaces the defaults instead of
// appending to them.
func copyValue(fs *flag.FlagSet, target ucli.Flag, src *flag.Flag) error {
	v := src.Value.String()
	if s, ok := src.Value.(ucli.Serializer); ok {
		v = s.Serialize()
	}
	for _, n := range target.Names() {
		if fs.Lookup(n) == nil {
			continue
		}
		if err := fs.Set(n, v); err != nil {
			return err
		}
	}
	return nil
}

// takeRequired clears the Required mark of cmd's flags and returns their
// names. urfave checks required flags before any Before runs and answers a
// missing one with the whole help on stdout; requireFlags checks them
// after the trailing-flag guard instead, so "acsign sign IMG --key K" is
// told that the flag came after the argument.
func takeRequired(flags []ucli.Flag) []string {
	var names []string
	for _, f := range flags {
		r, ok := f.(ucli.RequiredFlag)
		if !ok || !r.IsRequired() {
			continue
		}
		if v := reflect.ValueOf(f).Elem().FieldByName("Required"); v.IsValid() && v.CanSet() {
			v.SetBool(false)
			names = append(names, f.Names()[0])
		}
	}
	return names
}

// requireFlags is a usage error naming the first of names not given.
func requireFlags(names []string) ucli.BeforeFunc {
	if len(names) == 0 {
		return nil
	}
	return func(c *ucli.Context) error {
		for _, n := range names {
			if !c.IsSet(n) {
				return errkind.Usagef("%s needs --%s", commandName(c), n)
			}
		}
		return nil
	}
}

// commandName is the command's name below the tool ("trust rm").
func commandName(c *ucli.Context) string {
	if c.Command == nil {
		return c.App.Name
	}
	name := strings.TrimPrefix(c.Command.HelpName, c.App.Name+" ")
	if name == "" {
		return c.App.Name
	}
	return name
}
