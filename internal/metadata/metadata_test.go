package metadata

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const podManifest = `{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"main","image":{"id":"sha512-` +
	`aa"}}],"annotations":[{"name":"pod-note","value":"x"}]}`

func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s, err := NewServer(Pod{
		UUID:     "6733c0a4-8a6b-4d5e-9f0e-4bd0a2e0f6f1",
		Manifest: []byte(podManifest),
		Apps: map[string]App{"main": {
			ImageManifest: []byte(`{"acKind":"ImageManifest"}`),
			ImageID:       "sha512-aa",
			Annotations:   []byte(`[{"name":"a","value":"b"}]`),
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func do(t *testing.T, method, u string, form url.Values, flavor bool) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if flavor {
		req.Header.Set("Metadata-Flavor", "AppContainer")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestEndpoints(t *testing.T) {
	s, hs := newTestServer(t)
	base := s.URL(strings.TrimPrefix(hs.URL, "http://")) + PathBase
	tests := []struct {
		path, wantType, wantBody string
	}{
		{"/pod/manifest", jsonType, podManifest},
		{"/pod/uuid", textType, "6733c0a4-8a6b-4d5e-9f0e-4bd0a2e0f6f1"},
		{"/pod/annotations", jsonType, `[{"name":"pod-note","value":"x"}]`},
		{"/apps/main/annotations", jsonType, `[{"name":"a","value":"b"}]`},
		{"/apps/main/image/manifest", jsonType, `{"acKind":"ImageManifest"}`},
		{"/apps/main/image/id", textType, "sha512-aa"},
	}
	for _, tt := range tests {
		code, ctype, body := do(t, "GET", base+tt.path, nil, true)
		if code != 200 || ctype != tt.wantType || body != tt.wantBody {
			t.Errorf("GET %s = %d %q %q, want 200 %q %q", tt.path, code, ctype, body, tt.wantType, tt.wantBody)
		}
	}
	for _, path := range []string{"/apps/other/image/id", "/apps/main/nope", "/nope"} {
		if code, _, _ := do(t, "GET", base+path, nil, true); code != 404 {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
	}
	if code, _, _ := do(t, "GET", base+"/pod/uuid", nil, false); code != 400 {
		t.Errorf("GET without Metadata-Flavor = %d, want 400", code)
	}
	wrongToken := hs.URL + "/0123456789abcdef0123456789abcdef" + PathBase + "/pod/uuid"
	if code, _, _ := do(t, "GET", wrongToken, nil, true); code != 404 {
		t.Errorf("GET with a wrong token = %d, want 404", code)
	}
}

func TestHMAC(t *testing.T) {
	s, hs := newTestServer(t)
	base := s.URL(strings.TrimPrefix(hs.URL, "http://")) + PathBase
	code, ctype, sig := do(t, "POST", base+"/pod/hmac/sign", url.Values{"content": {"Old MacDonald"}}, true)
	if code != 200 || ctype != textType || sig == "" {
		t.Fatalf("sign = %d %q %q", code, ctype, sig)
	}
	verify := func(content, uuid, sig string) int {
		code, _, _ := do(t, "POST", base+"/pod/hmac/verify", url.Values{"content": {content}, "uuid": {uuid}, "signature": {sig}}, true)
		return code
	}
	uuid := "6733c0a4-8a6b-4d5e-9f0e-4bd0a2e0f6f1"
	if got := verify("Old MacDonald", uuid, sig); got != 200 {
		t.Errorf("verify(good) = %d, want 200", got)
	}
	if got := verify("Old MacDonalds", uuid, sig); got != 403 {
		t.Errorf("verify(other content) = %d, want 403", got)
	}
	if got := verify("Old MacDonald", "00000000-0000-0000-0000-000000000001", sig); got != 403 {
		t.Errorf("verify(other uuid) = %d, want 403", got)
	}
	if got := verify("Old MacDonald", uuid, "!!"); got != 403 {
		t.Errorf("verify(bad base64) = %d, want 403", got)
	}
}

func TestNoAnnotationsIsNull(t *testing.T) {
	s, err := NewServer(Pod{UUID: "u", Manifest: []byte(`{"acKind":"PodManifest"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.annotations) != "null" {
		t.Errorf("annotations of a manifest without them = %s, want null", s.annotations)
	}
	if _, err := NewServer(Pod{Manifest: []byte("{")}); err == nil {
		t.Errorf("NewServer(bad manifest) = nil error")
	}
}
