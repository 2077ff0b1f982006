package checks

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// testImages are images pushed to the stack's registries for one test.
type testImages struct {
	app, appLatest, arm, private string
	appDigest                    string
}

// pushImages pushes a random linux/amd64 image (as :v1 and :latest) and an index whose only
// manifest is linux/arm64 to the anonymous registry, and a private image to the htpasswd one.
func pushImages(t *testing.T) testImages {
	t.Helper()
	env := stackEnv(t, "STACK_REGISTRY", "STACK_REGISTRY_AUTH", "STACK_REGISTRY_USER", "STACK_REGISTRY_PASSWORD")
	open, auth, user, pass := env[0], env[1], env[2], env[3]
	repo := "preflight-" + randSuffix()
	tr := guarded(t)
	img := randomImage(t, "amd64")
	armIdx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: randomImage(t, "arm64"),
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	ti := testImages{
		app: open + "/" + repo + "/app:v1", appLatest: open + "/" + repo + "/app:latest",
		arm: open + "/" + repo + "/arm:v1", private: auth + "/" + repo + "/private:v1",
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	ti.appDigest = d.String()
	push := func(ref string, o ...remote.Option) {
		t.Helper()
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		o = append(o, remote.WithTransport(tr))
		if strings.HasSuffix(ref, "/arm:v1") {
			err = remote.WriteIndex(r, armIdx, o...)
		} else {
			err = remote.Write(r, img, o...)
		}
		if err != nil {
			t.Fatalf("push %s: %v", ref, err)
		}
	}
	push(ti.app)
	push(ti.appLatest)
	push(ti.arm)
	push(ti.private, remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	return ti
}

func randomImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func imageSpec(tasks ...evidence.TaskSpec) *evidence.PreflightSpec {
	return &evidence.PreflightSpec{Project: "flytesnacks", Domain: "development", Namespace: "flytesnacks-development",
		Tasks: tasks, Skipped: onlyLayers(Registry)}
}

func imageProbe(t *testing.T, c *evidence.Checks, image string) *evidence.ImageProbe {
	t.Helper()
	rec := NewView(&c.Spec, c.Probes).Probe(probeImage, image)
	if rec == nil || rec.Image == nil {
		t.Fatalf("no image probe of %s: %+v", image, rec)
	}
	return rec.Image
}

func TestImageChecksAgainstRealRegistries(t *testing.T) {
	ti := pushImages(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no local credentials: the private image is refused
	missing := strings.Replace(ti.app, ":v1", ":v404", 1)
	noRepo := strings.Replace(ti.app, "/app:v1", "/nope:v1", 1)
	env := &Env{Transport: guarded(t)}
	start := time.Now()
	c := runChecks(t, env, imageSpec(
		evidence.TaskSpec{Name: "amd", Images: []string{ti.app, ti.appLatest, ti.arm, missing, noRepo, ti.private}, Platform: "linux/amd64"},
		evidence.TaskSpec{Name: "arm", Images: []string{ti.arm}, Platform: "linux/arm64"},
	))
	t.Logf("image checks of 6 images: %s", time.Since(start))

	ok := result(t, c, "FDP203", ti.app)
	wantStatus(t, ok, evidence.CheckPass, ti.appDigest, "auth: anonymous")
	wantStatus(t, result(t, c, "FDP204", ti.app), evidence.CheckPass, "linux/amd64")
	wantStatus(t, result(t, c, "FDP202", ti.appLatest), evidence.CheckWarn, ":latest")
	wantStatus(t, result(t, c, "FDP202", ti.app), evidence.CheckPass)

	// The index has linux/arm64 only: the amd64 task fails, the arm64 task passes.
	wantStatus(t, result(t, c, "FDP203", ti.arm), evidence.CheckPass)
	wantStatus(t, result(t, c, "FDP204", ti.arm, "amd"), evidence.CheckFail, "the image has linux/arm64, not linux/amd64")
	wantStatus(t, result(t, c, "FDP204", ti.arm, "arm"), evidence.CheckPass, "linux/arm64")
	if p := imageProbe(t, c, ti.arm); !strings.Contains(p.MediaType, "index") && !strings.Contains(p.MediaType, "list") {
		t.Errorf("arm image media type %s, want an index", p.MediaType)
	}

	wantStatus(t, result(t, c, "FDP203", missing), evidence.CheckFail, "not found", "MANIFEST_UNKNOWN")
	if p := imageProbe(t, c, missing); p.Outcome != evidence.ImageNotFound || p.HTTPStatus != http.StatusNotFound {
		t.Errorf("missing tag: %+v", p)
	}
	wantStatus(t, result(t, c, "FDP203", noRepo), evidence.CheckFail, "not found")
	wantStatus(t, result(t, c, "FDP204", missing), evidence.CheckSkip)

	priv := result(t, c, "FDP203", ti.private)
	wantStatus(t, priv, evidence.CheckFail, "refused the pull", "401", "auth: anonymous")
	if p := imageProbe(t, c, ti.private); p.Outcome != evidence.ImageUnauthorized || p.ErrorCode != "UNAUTHORIZED" {
		t.Errorf("private image anonymously: %+v", p)
	}
}

// With the docker config the stack wrote (crane auth login), the private image is read with
// it, and the probe records that an anonymous pull would not work.
func TestImageWithDockerConfigKeychain(t *testing.T) {
	ti := pushImages(t)
	t.Setenv("DOCKER_CONFIG", stackEnv(t, "STACK_REGISTRY_DOCKER_CONFIG")[0])
	c := runChecks(t, &Env{Transport: guarded(t)}, imageSpec(evidence.TaskSpec{Name: "t", Images: []string{ti.private, ti.app}}))
	wantStatus(t, result(t, c, "FDP203", ti.private), evidence.CheckPass, "auth: docker-config")
	p := imageProbe(t, c, ti.private)
	if p.AnonymousOK == nil || *p.AnonymousOK {
		t.Errorf("anonymous_ok = %v, want false", p.AnonymousOK)
	}
	if a := imageProbe(t, c, ti.app); a.Auth != authAnonymous || a.AnonymousOK != nil {
		t.Errorf("open registry image: auth %s, anonymous_ok %v", a.Auth, a.AnonymousOK)
	}
}

// A registry that answers 429 is reported as rate limiting after one request, not retried
// for seconds, and not as a missing image. One that does not answer is unreachable.
func TestImageRateLimitedAndUnreachable(t *testing.T) {
	ti := pushImages(t)
	target, err := url.Parse("http://" + stackEnv(t, "STACK_REGISTRY")[0])
	if err != nil {
		t.Fatal(err)
	}
	var manifests atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = guarded(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/manifests/") {
			manifests.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()
	limited := strings.TrimPrefix(srv.URL, "http://") + ti.app[strings.Index(ti.app, "/"):]

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String() + "/acme/app:v1"
	l.Close()

	start := time.Now()
	c := runChecks(t, &Env{Transport: guarded(t)}, imageSpec(evidence.TaskSpec{Name: "t", Images: []string{limited, gone}}))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s: a 429 must not be retried with backoff", d)
	}
	wantStatus(t, result(t, c, "FDP203", limited), evidence.CheckWarn, "rate-limiting", "TOOMANYREQUESTS")
	if n := manifests.Load(); n != 1 {
		t.Errorf("%d manifest requests, want 1", n)
	}
	wantStatus(t, result(t, c, "FDP203", gone), evidence.CheckFail, "cannot be reached", "Connect")
	if p := imageProbe(t, c, gone); p.Outcome != evidence.ImageUnreachable {
		t.Errorf("closed port: %+v", p)
	}
}
