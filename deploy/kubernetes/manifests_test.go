// Package kubernetes holds the manifests that run poolbench on a cluster
// (an echo-server Deployment and Service, the Indexed Job of shards, the
// merge Job, the volume between them) and the test that keeps them honest:
// every document decodes strictly against the Kubernetes API types, so a
// misspelt field fails here rather than being dropped by the API server, and
// the Job, the Service and the merge agree on names, ports, shard counts and
// file paths. It knows nothing of poolbench's packages; the flags the Job
// passes are checked against the real command in cmd/poolbench's tests.
package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// document is one YAML document of one manifest file.
type document struct {
	file string
	text []byte
}

// documents returns every document of every *.yaml file here.
func documents(t *testing.T) []document {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests here: %v", err)
	}
	var docs []document
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(stripComments(d)) != "" {
				docs = append(docs, document{f, []byte(d)})
			}
		}
	}
	return docs
}

func stripComments(s string) string {
	return regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(s, "")
}

// decode decodes doc strictly into the API type its apiVersion and kind
// name: an unknown, duplicate or wrongly cased field is an error.
func decode(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		obj = &appsv1.Deployment{}
	case "v1 Service":
		obj = &corev1.Service{}
	case "v1 PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	case "batch/v1 Job":
		obj = &batchv1.Job{}
	default:
		return nil, fmt.Errorf("apiVersion %q kind %q: not a type this test knows", tm.APIVersion, tm.Kind)
	}
	// As the API server decodes: YAML to JSON refusing duplicate keys, then
	// JSON field names matched case-sensitively (encoding/json, which
	// sigs.k8s.io/yaml's own UnmarshalStrict uses, would take "claimname"
	// for claimName) with unknown fields an error.
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	strict, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if len(strict) > 0 {
		return nil, fmt.Errorf("%s: %w", tm.Kind, errors.Join(strict...))
	}
	return obj, nil
}

// cluster is every object the manifests define, by kind and name.
type cluster struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	claims      map[string]*corev1.PersistentVolumeClaim
	jobs        map[string]*batchv1.Job
}

func load(t *testing.T) cluster {
	t.Helper()
	c := cluster{map[string]*appsv1.Deployment{}, map[string]*corev1.Service{}, map[string]*corev1.PersistentVolumeClaim{}, map[string]*batchv1.Job{}}
	for _, d := range documents(t) {
		obj, err := decode(d.text)
		if err != nil {
			t.Errorf("%s: %v", d.file, err)
			continue
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			c.deployments[o.Name] = o
		case *corev1.Service:
			c.services[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			c.claims[o.Name] = o
		case *batchv1.Job:
			c.jobs[o.Name] = o
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return c
}

// The names the manifests and the README use.
const (
	serverName = "poolbench-server"
	sweepName  = "poolbench-sweep"
	mergeName  = "poolbench-merge"
	claimName  = "poolbench-results"
)

// TestManifestsDecodeStrictly decodes every document against the API types.
func TestManifestsDecodeStrictly(t *testing.T) {
	c := load(t)
	if c.deployments[serverName] == nil || c.services[serverName] == nil || c.claims[claimName] == nil ||
		c.jobs[sweepName] == nil || c.jobs[mergeName] == nil {
		t.Fatalf("want Deployment and Service %s, PersistentVolumeClaim %s, Jobs %s and %s; got %v",
			serverName, claimName, sweepName, mergeName, c)
	}
}

// TestStrictDecodingCatchesMisspelling shows that the decoding above can
// fail: each document with one field misspelt, at the top and deep inside,
// is rejected.
func TestStrictDecodingCatchesMisspelling(t *testing.T) {
	misspell := map[string]string{
		"completionMode:": "completionsMode:",
		"containerPort:":  "containerPorts:",
		"claimName:":      "claimname:",
		"targetPort:":     "targetport:",
		"accessModes:":    "accessMode:",
		"mountPath:":      "mountpath:",
	}
	var tried int
	for _, d := range documents(t) {
		for right, wrong := range misspell {
			if !bytes.Contains(d.text, []byte(right)) {
				continue
			}
			tried++
			bad := bytes.Replace(d.text, []byte(right), []byte(wrong), 1)
			if _, err := decode(bad); err == nil {
				t.Errorf("%s with %s spelt %s: decoded without error", d.file, right, wrong)
			} else if !strings.Contains(err.Error(), "unknown field") {
				t.Errorf("%s with %s spelt %s: %v, want an unknown field", d.file, right, wrong, err)
			}
		}
		// A field that exists nowhere, at the top of the document.
		if _, err := decode(append(slices.Clone(d.text), "\nspecc: {}\n"...)); err == nil {
			t.Errorf("%s with an extra top-level field: decoded without error", d.file)
		}
	}
	if tried < len(misspell) {
		t.Errorf("only %d misspellings applied; every key of the table should occur in some manifest", tried)
	}
}

// TestManifestsAgree checks that the pieces fit: the Service selects the
// server's pods on its port, the server listens on every address at that
// port, the sweep is an Indexed Job with completions = parallelism = its
// -shards dialling the Service, each shard writes a file of its own, and
// the merge reads exactly those files from the same volume.
func TestManifestsAgree(t *testing.T) {
	c := load(t)
	dep, svc := c.deployments[serverName], c.services[serverName]
	sweep, merge := c.jobs[sweepName], c.jobs[mergeName]
	if dep == nil || svc == nil || sweep == nil || merge == nil {
		t.Fatal("manifests missing; see TestManifestsDecodeStrictly")
	}

	// Server and Service.
	podLabels := dep.Spec.Template.Labels
	for k, v := range svc.Spec.Selector {
		if podLabels[k] != v {
			t.Errorf("Service selects %s=%s; the server's pods have %s=%q", k, v, k, podLabels[k])
		}
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("server: %d containers, want 1", len(dep.Spec.Template.Spec.Containers))
	}
	srv := dep.Spec.Template.Spec.Containers[0]
	if len(svc.Spec.Ports) != 1 || len(srv.Ports) != 1 {
		t.Fatalf("want one Service port and one container port; got %d and %d", len(svc.Spec.Ports), len(srv.Ports))
	}
	sp, cp := svc.Spec.Ports[0], srv.Ports[0]
	if sp.TargetPort.String() != cp.Name && sp.TargetPort.IntValue() != int(cp.ContainerPort) {
		t.Errorf("Service targetPort %s is not the container port %s (%d)", sp.TargetPort.String(), cp.Name, cp.ContainerPort)
	}
	if srv.Args[0] != "serve" || argValue(srv.Args, "addr") != "0.0.0.0:"+strconv.Itoa(int(cp.ContainerPort)) {
		t.Errorf("server args %q: want serve -addr 0.0.0.0:%d (every address of the pod, the container port)", srv.Args, cp.ContainerPort)
	}

	// The sweep: an Indexed Job of -shards pods against the Service.
	s := sweep.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("sweep: completionMode %v, want Indexed (JOB_COMPLETION_INDEX is the shard index)", s.CompletionMode)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("sweep: %d containers, want 1", len(s.Template.Spec.Containers))
	}
	shard := s.Template.Spec.Containers[0]
	n, err := strconv.Atoi(argValue(shard.Args, "shards"))
	if err != nil || n < 2 {
		t.Fatalf("sweep args %q: -shards %v, want a count >= 2", shard.Args, err)
	}
	if s.Completions == nil || s.Parallelism == nil || int(*s.Completions) != n || int(*s.Parallelism) != n {
		t.Errorf("sweep: completions %v, parallelism %v; want both = -shards = %d", deref(s.Completions), deref(s.Parallelism), n)
	}
	if s.BackoffLimit == nil || *s.BackoffLimit != 0 {
		t.Errorf("sweep: backoffLimit %v, want 0 (a retried shard runs out of step)", deref(s.BackoffLimit))
	}
	if want := fmt.Sprintf("%s:%d", svc.Name, sp.Port); shard.Args[0] != "sweep" || argValue(shard.Args, "addr") != want {
		t.Errorf("sweep args %q: want sweep -addr %s (the Service)", shard.Args, want)
	}
	if argValue(shard.Args, "servers") != argValue(srv.Args, "design") {
		t.Errorf("sweep -servers %q, but the server runs design %q", argValue(shard.Args, "servers"), argValue(srv.Args, "design"))
	}
	startAt := argValue(shard.Args, "start-at")
	if m := regexp.MustCompile(`^\$\(([A-Z_]+)\)$`).FindStringSubmatch(startAt); m == nil || !hasEnv(shard, m[1]) {
		t.Errorf("sweep -start-at %q: want $(VAR) with VAR in the container's env, one time for every shard", startAt)
	}
	out := argValue(shard.Args, "out")
	if !strings.Contains(out, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("sweep -out %q: want a file per shard, named by $(JOB_COMPLETION_INDEX)", out)
	}
	checkClaim(t, "sweep", s.Template.Spec, shard, out)

	// The merge: every shard's file, from the same volume.
	m := merge.Spec.Template.Spec
	if len(m.Containers) != 1 {
		t.Fatalf("merge: %d containers, want 1", len(m.Containers))
	}
	mc := m.Containers[0]
	var files []string
	for _, a := range mc.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			files = append(files, a)
		}
	}
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(out, "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i)))
	}
	if mc.Args[0] != "merge" || !slices.Equal(files, want) {
		t.Errorf("merge args %q: want merge %q (one file per shard index)", mc.Args, want)
	}
	if len(want) > 0 {
		checkClaim(t, "merge", m, mc, want[0])
	}
	if argValue(mc.Args, "out") != "-" {
		t.Errorf("merge -out %q, want - (stdout, for kubectl logs)", argValue(mc.Args, "out"))
	}
}

// checkClaim checks that path lies on a volume of container c backed by the
// results claim.
func checkClaim(t *testing.T, what string, pod corev1.PodSpec, c corev1.Container, path string) {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if !strings.HasPrefix(path, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == vm.Name && v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claimName {
				return
			}
		}
	}
	t.Errorf("%s: %s is not on a volume of claim %s", what, path, claimName)
}

// argValue returns the value of -name=value in args, "" when absent. The
// manifests write every flag in that one form, so the test reads it exactly.
func argValue(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "-"+name+"="); ok {
			return v
		}
		if a == "-"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func hasEnv(c corev1.Container, name string) bool {
	return slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == name })
}

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDockerfileBuildsStatic checks the Dockerfile's recipe without a
// container runtime (none is installed here, so the image itself is not
// built: this check is partial): the build stage compiles ./cmd/poolbench
// with CGO_ENABLED=0, the final stage is scratch holding only the binary
// it built, and no package the command links needs cgo, so that build is
// static.
func TestDockerfileBuildsStatic(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	build := regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build .*-o (\S+) \./cmd/poolbench$`).FindStringSubmatch(df)
	if build == nil {
		t.Fatalf("Dockerfile: no `RUN CGO_ENABLED=0 go build ... -o PATH ./cmd/poolbench` line")
	}
	if strings.Contains(df, "linkmode") {
		t.Errorf("Dockerfile: an external link mode would link libc dynamically")
	}
	stages := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(stages) < 2 || stages[len(stages)-1][1] != "scratch" {
		t.Errorf("Dockerfile stages %q: want a build stage, then scratch", stages)
	}
	if !regexp.MustCompile(`(?m)^COPY --from=\S+ `+regexp.QuoteMeta(build[1])+` /poolbench$`).MatchString(df) ||
		!strings.Contains(df, `ENTRYPOINT ["/poolbench"]`) {
		t.Errorf("Dockerfile: the final stage should copy %s to /poolbench and run it", build[1])
	}

	// Every manifest runs the image this Dockerfile's comment names.
	tag := regexp.MustCompile(`docker build -t (\S+) `).FindStringSubmatch(df)
	if tag == nil {
		t.Fatal("Dockerfile: no `docker build -t IMAGE .` in its comment")
	}
	c := load(t)
	var pods []corev1.PodSpec
	for _, d := range c.deployments {
		pods = append(pods, d.Spec.Template.Spec)
	}
	for _, j := range c.jobs {
		pods = append(pods, j.Spec.Template.Spec)
	}
	for _, p := range pods {
		for _, ct := range p.Containers {
			if ct.Image != tag[1] {
				t.Errorf("container %s runs image %s, want %s (the Dockerfile's)", ct.Name, ct.Image, tag[1])
			}
		}
	}

	list := exec.Command("go", "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "github.com/poolbench/poolbench/cmd/poolbench")
	list.Env = append(os.Environ(), "CGO_ENABLED=1")
	cgo, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	// With cgo on, these are the packages that would use it; with
	// CGO_ENABLED=0 each must still build from its pure-Go files.
	for _, pkg := range strings.Fields(string(cgo)) {
		pure := exec.Command("go", "list", "-f", "{{len .GoFiles}} {{len .CgoFiles}}", pkg)
		pure.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := pure.CombinedOutput()
		if err != nil || strings.HasPrefix(string(out), "0 ") {
			t.Errorf("%s has no pure-Go build (CGO_ENABLED=0): %s %v", pkg, out, err)
		}
	}
}

// TestJobFlagsAreTheCommands runs the command of the sweep Job (as pod 0
// of the Indexed Job, with the ConfigMap's start time) and of the merge
// Job with the real poolbench, every flag as the manifest writes it, two
// values excepted: the Service address becomes 127.0.0.1:1, where nothing
// listens, and the volume's paths a temp dir. A flag poolbench does not
// have, or a value it refuses (a shard count the -conns cannot be split
// into, a malformed -start-at), fails here with its own message; flags it
// accepts end in the unreachable address (the sweep) or the shard files
// not being there (the merge), which is what this test wants to see.
func TestJobFlagsAreTheCommands(t *testing.T) {
	c := load(t)
	sweep, merge := c.jobs[sweepName], c.jobs[mergeName]
	if sweep == nil || merge == nil {
		t.Fatal("manifests missing; see TestManifestsDecodeStrictly")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "poolbench")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/poolbench/poolbench/cmd/poolbench").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	shard := sweep.Spec.Template.Spec.Containers[0]
	mount := shard.VolumeMounts[0].MountPath
	env := map[string]string{"JOB_COMPLETION_INDEX": "0", "START_AT": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}
	svc := argValue(shard.Args, "addr")
	args := func(c corev1.Container) []string {
		var out []string
		for _, a := range c.Args {
			a = regexp.MustCompile(`\$\(([A-Z_]+)\)`).ReplaceAllStringFunc(a, func(v string) string { return env[v[2:len(v)-1]] })
			a = strings.ReplaceAll(a, svc, "127.0.0.1:1")
			out = append(out, strings.ReplaceAll(a, mount, dir))
		}
		return out
	}
	run := func(args []string) string {
		cmd := exec.Command(bin, args...)
		// Kubernetes sets the index in the pod's environment; the Job's
		// own env (the start time) is in its args already.
		cmd.Env = append(os.Environ(), "JOB_COMPLETION_INDEX="+env["JOB_COMPLETION_INDEX"])
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
		defer timer.Stop()
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("poolbench %q: %v, want exit 2 (bad input, at the stand-in address or files)\n%s", args, err, stderr.String())
		}
		return stderr.String()
	}
	if got := run(args(shard)); !strings.Contains(got, "-addr 127.0.0.1:1 is unreachable") {
		t.Errorf("the sweep Job's flags are not all the sweep's: poolbench %q said\n%s", args(shard), got)
	}
	if got := run(args(merge.Spec.Template.Spec.Containers[0])); !strings.Contains(got, "shard-0.txt: no such file") {
		t.Errorf("the merge Job's flags are not all merge's: poolbench %q said\n%s", args(merge.Spec.Template.Spec.Containers[0]), got)
	}
}
