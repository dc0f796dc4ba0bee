package harness

// String is the counts as the progress line shows them: "0 errors" or
// "3 errors (2 reset, 1 timeout)". Fault tests log it per point.
func (e ErrorCounts) String() string { return errorSummary(e) }
