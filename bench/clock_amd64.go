package bench

// ticks reads the CPU's time-stamp counter (RDTSC): about 10ns a read on the
// reference machine, against 25ns for the runtime's monotonic clock and 45ns
// for time.Now. It counts at a constant rate on CPUs with an invariant TSC
// (constant_tsc, nonstop_tsc in /proc/cpuinfo); the benchmarks convert ticks
// to nanoseconds with a rate measured against the runtime's clock.
func ticks() int64
