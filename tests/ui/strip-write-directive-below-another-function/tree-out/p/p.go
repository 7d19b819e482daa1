// Package p holds one declaration for each layout the Go tree uses.
package p

import (
	"sync"
	_ "unsafe"
)

func plain() int { return 1 }

// documented is the same as plain, with a doc comment of its own.
//
//go:nosplit
func documented() int { return 2 }

// lastDirective keeps its other directive first.
//
//go:noinline
func lastDirective() int { return 3 }
//go:linkname plain

// glued is set by another package
var glued func()

var (
	mu      sync.Mutex
	grouped map[string]int
)

//go:linkname q_hidden example.com/m/q.hidden
func q_hidden() int { return 4 }

// Exported returns 5.
func Exported() int { return 5 }

// T has methods pushed through stubs.
type T struct{ n int }

func (t *T) Get() int { return t.n }

func (t *T) set(n int) { t.n = n }
