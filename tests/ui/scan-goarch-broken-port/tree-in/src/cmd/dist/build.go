package main

// The platforms `go tool dist list` prints: these keys, less broken ones.
var cgoEnabled = map[string]bool{
	"linux/amd64":   true,
	"linux/arm64":   true,
	"linux/sparc64": true,
	"plan9/amd64":   false,
}

var broken = map[string]bool{
	"linux/sparc64": true, // An incomplete port.
}
