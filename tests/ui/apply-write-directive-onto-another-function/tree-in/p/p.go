// Package p holds one declaration for each layout the Go tree uses.
package p

import (
	"sync"
	_ "unsafe"
)

// plain should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//   - example.com/beta
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
func plain() int { return 1 }

// documented is the same as plain, with a doc comment of its own.
//
// documented should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname documented
//go:nosplit
func documented() int { return 2 }

// lastDirective keeps its other directive first.
//
// lastDirective should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/gamma
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:noinline
//go:linkname lastDirective
//go:linkname plain
func lastDirective() int { return 3 }

// glued is set by another package
// glued should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname glued
var glued func()

// grouped should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/beta
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname grouped
var (
	mu      sync.Mutex
	grouped map[string]int
)

// q_hidden is for package q,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname q_hidden example.com/m/q.hidden
func q_hidden() int { return 4 }

// Despite being an exported symbol,
// Exported is linknamed by widely used packages.
// Notable members of the hall of shame include:
//   - example.com/gamma
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
// Note that this comment is not part of the doc comment.
//
//go:linkname Exported

// Exported returns 5.
func Exported() int { return 5 }

// T has methods pushed through stubs.
type T struct{ n int }

// Get should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/beta
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
//
//go:linkname badGet example.com/m/p.(*T).Get
func (t *T) Get() int { return t.n }

// for linkname because we cannot linkname methods directly
func badGet(*T) int

// set should be an internal detail,
// but widely used packages access it using linkname.
// Notable members of the hall of shame include:
//   - example.com/alpha
//
// Do not remove or change the type signature.
// See go.dev/issue/67401.
func (t *T) set(n int) { t.n = n }

//go:linkname badSet example.com/m/p.(*T).set
func badSet(*T, int)

// Regrettable Linkname Compatibility
//
// oldName was renamed; widely used packages still pull it.
// Notable members of the hall of shame include:
//   - example.com/gamma
//
// Do not remove these routines or their linknames.

//go:linkname legacyOldName example.com/m/p.oldName
func legacyOldName() int { return 6 }
