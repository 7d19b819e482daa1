package loader

var blockedLinknames = map[string][]string{
	"runtime.mapaccess1": {"runtime"},
}
