package main

import (
	"os"
	"time"

	"github.com/acikit/acikit/internal/cli"
	"github.com/schollz/progressbar/v3"
	ucli "github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// progress draws a byte counter on stderr when it is a terminal and --quiet
// is off; otherwise it does nothing.
type progress struct {
	bar *progressbar.ProgressBar
}

func newProgress(c *ucli.Context) *progress {
	f, ok := cli.Stderr(c).(*os.File)
	if !ok || c.Bool("quiet") || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	p := &progress{}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("converting"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

// update is the dockerconv.Options.Progress callback.
func (p *progress) update(done, total int64) {
	if p.bar == nil {
		return
	}
	if total > 0 && p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	p.bar.Set64(done)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
