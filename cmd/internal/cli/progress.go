package cli

import "fmt"

// progress writes one transient status line to stderr, only when stderr is a terminal, so
// pipes and CI logs stay clean.
type progress struct {
	f     *Factory
	shown bool
}

func newProgress(f *Factory) *progress { return &progress{f: f} }

func (p *progress) Printf(format string, a ...any) {
	if !p.f.IO.ErrTTY {
		return
	}
	fmt.Fprintf(p.f.IO.ErrOut, "\r\033[K"+format, a...)
	p.shown = true
}

func (p *progress) Done() {
	if p.shown {
		fmt.Fprint(p.f.IO.ErrOut, "\r\033[K")
		p.shown = false
	}
}
