package main

import (
	"io"

	"github.com/acikit/acikit/internal/cli"
	iprogress "github.com/acikit/acikit/internal/progress"
	ucli "github.com/urfave/cli/v2"
)

// progress draws "Converting NAME [bar] done/total rate ETA" on stderr when
// it is a terminal and --quiet is off; otherwise it does nothing. The bar
// starts on the first layer bytes, once the image (and its name) is known.
type progress struct {
	w    io.Writer
	name string
	bar  *iprogress.Bar
	on   bool
	done bool
}

func newProgress(c *ucli.Context, name string) *progress {
	return &progress{w: cli.Stderr(c), name: name, on: iprogress.Enabled(cli.Stderr(c), c.Bool("quiet"))}
}

// setName names the image once it is open (an archive on stdin has no
// name until its manifest is read).
func (p *progress) setName(name string) { p.name = name }

// update is the dockerconv.Options.Progress callback.
func (p *progress) update(done, total int64) {
	if !p.on || p.done {
		return
	}
	if p.bar == nil {
		p.bar = iprogress.NewNamed(p.w, "Converting", p.name, total)
	}
	p.bar.Set(done, total)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Close()
	}
	p.done = true
}
