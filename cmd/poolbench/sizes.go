package main

import (
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/poolbench/poolbench/harness"
)

// sizesUsage is the -sizes flag's usage line.
const sizesUsage = "comma-separated message `sizes` to sweep, each as points of its own named size=B, with their echo-MB/s: " +
	"whole bytes (65536), or with K or M (10^3, 10^6 bytes) or Ki or Mi (2^10, 2^20: 64Ki); not with -size"

// parseSizes parses the -sizes list: whole numbers of bytes with an
// optional K, M, Ki or Mi (go-humanize's ParseBytes, which also takes KB,
// KiB, MB, MiB), each 1 to harness.MaxSize, none twice.
func parseSizes(s string) ([]int, error) {
	var ns []int
	for _, f := range splitList(s) {
		if strings.Contains(f, ".") {
			return nil, flagError("sweep", "sizes", s, "%q is not a whole number of bytes", f)
		}
		b, err := humanize.ParseBytes(f)
		if err != nil {
			return nil, flagError("sweep", "sizes", s, "%q is not a size (bytes, or with K, M, Ki or Mi)", f)
		}
		if b < 1 || b > harness.MaxSize {
			return nil, flagError("sweep", "sizes", s, "size %s is %d bytes, out of range 1 to %d", f, b, harness.MaxSize)
		}
		for _, n := range ns {
			if uint64(n) == b {
				return nil, flagError("sweep", "sizes", s, "size %s (%d bytes) is named twice", f, b)
			}
		}
		ns = append(ns, int(b))
	}
	if len(ns) == 0 {
		return nil, flagError("sweep", "sizes", s, "want at least one size")
	}
	return ns, nil
}
