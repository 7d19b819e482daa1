package main

// The ports of this tiny tree.
var cgoEnabled = map[string]bool{
	"darwin/arm64":  true,
	"linux/amd64":   true,
	"windows/amd64": true,
}
