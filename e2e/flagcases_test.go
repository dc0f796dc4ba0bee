package e2e

// flagCases is THE table of rejection cases: every flag of every command
// needs an entry here, keyed "COMMAND -FLAG", with at least one value the
// command must reject (exit 2, one stderr line naming the flag, no file
// touched). TestEveryFlag walks the flags the binary itself lists
// ("poolbench flags", read from the FlagSet each command parses) and fails
// for a flag without an entry, so a new flag lands with its cases.
//
// Each value is given as -FLAG=VALUE after the command's valid base
// invocation (flagBase, in flags_test.go), overriding the base's value of
// that flag. $DIR is the case's temp dir, holding the fixtures (flagFiles).
// Use .with(args...) for flags the case needs ("-base=HEAD" for the gate's
// build flags; "-addr=" for a sweep that starts its servers) and
// .noArgs() to drop the base's positional arguments.
//
// Pick values a user could type: negative, zero where zero means nothing,
// too large, malformed, empty, a missing file, a file where a directory is
// wanted and the reverse. int, float64 and time.Duration flags also get a
// malformed value each without listing it (see typedValues).
var flagCases = map[string][]badValue{
	// serve
	"serve -design":      {v(""), v("nosuchdesign")},
	"serve -addr":        {v("999.1.1.1:0"), v("127.0.0.1:99999"), v("127.0.0.1"), v(""), v("example.com:0")},
	"serve -loops":       {v("0"), v("-1"), v("100000")},
	"serve -max-conns":   {v("-1"), v("4294967296")},
	"serve -read-buffer": {v("-1"), v("1073741824")},
	"serve -close-after": {v("-1"), v("4294967296"), v("64").with("-design=gnet")},
	"serve -debug-addr":  {v("999.1.1.1:0"), v("127.0.0.1"), v("127.0.0.1:99999"), v("example.com:0")},

	// sweep
	"sweep -servers": {v("nosuchserver"), v("net,net").with("-addr="), v(",").with("-addr="), v("nosuchserver").with("-addr=")},
	"sweep -pools":   {v("nosuchpool"), v("ring,ring"), v(",")},
	"sweep -conns": {v("0"), v("-1"), v("20000"), v("1,x"), v(","), v(""), v("1,1"),
		v("5000").with("-addr=", "-servers=net", "-pools=ring")},
	"sweep -workers":  {v("0"), v("-1"), v("20000"), v("1,x"), v(","), v(""), v("4,4")},
	"sweep -maxconns": {v("0"), v("-1"), v("20000"), v("x"), v(","), v(""), v("auto,auto"), v("4,4")},
	"sweep -preset":   {v("slow"), v("")},
	"sweep -duration": {v("0s"), v("-1s"), v("2h")},
	"sweep -warmup":   {v("-1s"), v("2h")},
	"sweep -count":    {v("0"), v("-1"), v("1001")},
	"sweep -size":     {v("0"), v("-1"), v("2000000")},
	"sweep -sizes": {v("0"), v("-1"), v("2Mi"), v("x"), v("1.5Ki"), v("64KB!"), v(","), v(""), v("64,64"), v("1Ki,1024"),
		v("64").with("-size=64"), v("64Ki").with("-servers=udp"), v("64Ki").with("-addr=", "-servers=udp"),
		v("64").with("-restart=30ms"), v("64").with("-restart-idle=true", "-restart=30ms")},
	"sweep -rate":    {v("-5"), v("NaN"), v("Inf"), v("1e9")},
	"sweep -timeout": {v("0s"), v("-1s"), v("2h")},
	"sweep -loops":   {v("0"), v("-1"), v("100000").with("-addr=")},
	"sweep -addr":    {v("127.0.0.1"), v("999.1.1.1:1"), v("127.0.0.1:99999"), v("127.0.0.1:0"), v(":1"), v("127.0.0.1:1"), v("127.0.0.1:1").with("-servers=udp")},
	"sweep -out": {v(""), v("$DIR"), v("$DIR/old.txt/echo.txt"), v("$DIR/REPORT.md"),
		v("$DIR/echo-other.txt")},
	"sweep -fault":        {v("bogus"), v("latency=500us"), v("latency=-1ms")},
	"sweep -restart":      {v("-1s"), v("10s"), v("30ms"), v("2h")},
	"sweep -force":        {v("maybe")},
	"sweep -debug-addr":   {v("999.1.1.1:0"), v("127.0.0.1"), v("127.0.0.1:99999"), v("example.com:0")},
	"sweep -share-server": {v("maybe")},
	// A design that cannot close first, a protocol with no echo to close
	// after, and the scenarios, which have no such request.
	"sweep -server-closes": {v("maybe"), v("true").with("-addr=", "-servers=gnet"), v("true").with("-servers=http"),
		v("true").with("-addr=", "-servers=net", "-cold-burst=4")},
	"sweep -restart-idle": {v("maybe"), v("true").with("-restart=0s")},
	"sweep -cold-burst":   {v("3"), v("-1"), v("1000000")},
	"sweep -dial-delays":  {v("x"), v(""), v(","), v("-1ms"), v("2m")},
	"sweep -cap":          {v("-1"), v("1").with("-count=2"), v("1000000")},
	"sweep -cap-time":     {v("-1s"), v("2h")},

	"sweep -shard": {v("x"), v("2/2"), v("-1/2"), v("0/0"), v("1"), v("0/2").with("-addr="), v("0/2").with("-conns=1,4"),
		v("0/2").with("-restart=30ms"), v("0/2").with("-shards=3")},
	"sweep -shards":   {v("-1"), v("1001"), v("2")},
	"sweep -start-at": {v("tomorrow"), v("2026-13-01T00:00:00Z"), v("2026-12-01T22:00:00Z"), v("2099-01-01T00:00:00Z").with("-shard=0/2")},
	"sweep -gap":      {v("-1s"), v("2h")},

	// gate
	"gate -alpha":      {v("0"), v("1"), v("2"), v("NaN")},
	"gate -threshold":  {v("-5"), v("NaN"), v("1e9")},
	"gate -confidence": {v("0"), v("1.5")},
	"gate -filter":     {v("(")},
	"gate -correction": {v("x"), v("")},
	"gate -base":       {v("-x").noArgs(), v("").noArgs()},
	"gate -pkg":        {v("$DIR/nosuchdir").with("-base=HEAD").noArgs(), v("$DIR/old.txt").with("-base=HEAD").noArgs(), v("").with("-base=HEAD").noArgs()},
	"gate -bench":      {v("("), v("")},
	"gate -count":      {v("3").with("-base=HEAD", "-pkg=$DIR/empty").noArgs(), v("0"), v("-1"), v("100000")},
	"gate -benchtime":  {v("x"), v("0s"), v("-1s"), v("0x"), v("")},
	"gate -cpu":        {v("x"), v("0"), v("1,,2"), v("-1")},
	"gate -timeout":    {v("0s"), v("-1s")},
	"gate -confirm":    {v("-1"), v("100000")},
	// Valid only with -base: with the base's two files it is bad input.
	"gate -instructions": {v("x"), v("true")},
	"gate -collect":      {v("*/bench.cycle"), v("*/bench.cycle").with("-base=HEAD").noArgs()},
	"gate -save":         {v("$DIR/old.txt"), v("$DIR/old.txt/saved")},

	// merge
	"merge -out": {v(""), v("$DIR"), v("$DIR/old.txt/merged.txt"), v("$DIR/old.txt")},

	// split ($DIR/empty has no raw/; $DIR/old.txt is a file)
	"split -results": {v("$DIR/nosuchdir"), v("$DIR/old.txt"), v(""), v("$DIR/empty")},

	// report
	"report -results": {v("$DIR/nosuchdir"), v("$DIR/old.txt"), v(""), v("$DIR/empty")},
	"report -out":     {v(""), v("$DIR"), v("$DIR/old.txt/REPORT.md")},
	"report -force":   {v("maybe")},
}
