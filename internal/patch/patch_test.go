package patch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
	"github.com/acikit/acikit/internal/schema"
)

const base = `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app",
"app":{"exec":["/bin/app"],"user":"0","group":"0",
"isolators":[{"name":"os/linux/capabilities-remove-set","value":{"set":["CAP_NET_RAW"]}}]}}`

const noExec = `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/base","app":{"user":"0","group":"0"}}`

const noApp = `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/data"}`

func TestApply(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []string // substrings of the patched manifest JSON
		wantErr string
	}{
		{"name", base, Options{Name: "example.com/other"}, []string{`"name":"example.com/other"`}, ""},
		{"bad name", base, Options{Name: "Bad"}, nil, "--name"},
		{"exec", base, Options{Exec: "/bin/sh -c true"}, []string{`"exec":["/bin/sh","-c","true"]`}, ""},
		{"exec creates app", noApp, Options{Exec: "/bin/x"}, []string{`"exec":["/bin/x"]`, `"user":"0"`}, ""},
		{"no app", noApp, Options{User: "1"}, nil, ErrNoApp.Error()},
		{"app without exec", noExec, Options{User: "1"}, []string{`"app":{"user":"1","group":"0"}`}, ""},
		{"exec on app without exec", noExec, Options{Exec: "/bin/x"}, []string{`"exec":["/bin/x"]`}, ""},
		{"user group gids", base, Options{User: "1000", Group: "100", SupplementaryGIDs: "4,5"},
			[]string{`"user":"1000"`, `"group":"100"`, `"supplementaryGIDs":[4,5]`}, ""},
		{"bad gids", base, Options{SupplementaryGIDs: "4,x"}, nil, `"x" is not a group ID`},
		{"capability replaces", base, Options{Capability: "CAP_CHOWN,CAP_KILL"},
			[]string{`{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_CHOWN","CAP_KILL"]}}`}, ""},
		{"unknown capability", base, Options{Capability: "CAP_CHOWN,CAP_NOPE"}, nil, `unknown capability "CAP_NOPE"`},
		{"unknown revoked capability", base, Options{RevokeCapability: "chown"}, nil, `unknown capability "chown"`},
		{"both caps", base, Options{Capability: "CAP_KILL", RevokeCapability: "CAP_CHOWN"}, nil, "conflicting capabilities"},
		{"seccomp", base, Options{SeccompMode: "remove,errno=EPERM", SeccompSet: "reboot,swapon"},
			[]string{`"os/linux/seccomp-remove-set","value":{"set":["reboot","swapon"],"errno":"EPERM"}`}, ""},
		{"seccomp set alone", base, Options{SeccompSet: "reboot"}, nil, "needs --seccomp-mode"},
		{"seccomp bad mode", base, Options{SeccompMode: "keep", SeccompSet: "reboot"}, nil, "unknown mode"},
		{"seccomp bad errno", base, Options{SeccompMode: "remove,errno=perm", SeccompSet: "reboot"}, nil, "errno"},
		{"mounts", base, Options{Mounts: "data,path=/data,readOnly=true:logs,path=/var/log"},
			[]string{`{"name":"data","path":"/data","readOnly":true}`, `{"name":"logs","path":"/var/log"}`}, ""},
		{"mount without path", base, Options{Mounts: "data"}, nil, "needs path="},
		{"ports", base, Options{Ports: "www,protocol=tcp,port=80"},
			[]string{`{"name":"www","protocol":"tcp","port":80,"count":1,"socketActivated":false}`}, ""},
		{"port range", base, Options{Ports: "www,protocol=tcp,port=65535,count=2"}, nil, "range"},
		{"isolators", base, Options{Isolators: "resource/memory,limit=1G:os/linux/no-new-privileges,true:os/linux/oom-score-adj,-10"},
			[]string{`{"name":"resource/memory","value":{"limit":"1G"}}`, `{"name":"os/linux/no-new-privileges","value":true}`,
				`{"name":"os/linux/oom-score-adj","value":-10}`}, ""},
		{"unsupported isolator", base, Options{Isolators: "os/linux/apparmor-profile,x"}, nil, "not supported for patching"},
		{"bad quantity", base, Options{Isolators: "resource/cpu,limit=lots"}, nil, "quantit"},
		{"oom out of range", base, Options{Isolators: "os/linux/oom-score-adj,5000"}, nil, "oom-score-adj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := schema.ParseImageManifest([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			err = Apply(m, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Apply(%+v) = %v, want error containing %q", tt.opts, err, tt.wantErr)
				}
				if !errors.Is(err, errkind.Invalid) {
					t.Errorf("Apply(%+v) error not marked invalid: %v", tt.opts, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply(%+v) = %v", tt.opts, err)
			}
			out, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("patched manifest = %s, want it to contain %s", out, w)
				}
			}
			if _, err := schema.ParseImageManifest(out); err != nil {
				t.Errorf("patched manifest does not parse again: %v", err)
			}
		})
	}
}

func TestIsolatorsReplaceSameName(t *testing.T) {
	in := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app","app":{"exec":["/bin/true"],"user":"0","group":"0",` +
		`"isolators":[{"name":"resource/memory","value":{"limit":"1G"}},{"name":"os/linux/no-new-privileges","value":true}]}}`
	tests := []struct {
		name  string
		opts  string
		count map[string]int
		want  string
	}{
		{"same name replaced", "resource/memory,limit=2G", map[string]int{"resource/memory": 1, "os/linux/no-new-privileges": 1}, `"limit":"2G"`},
		{"other name appended", "resource/cpu,limit=1", map[string]int{"resource/memory": 1, "resource/cpu": 1}, `"limit":"1G"`},
		{"twice in one flag keeps last", "os/linux/no-new-privileges,true:os/linux/no-new-privileges,false",
			map[string]int{"os/linux/no-new-privileges": 1}, `"value":false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := schema.ParseImageManifest([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if err := Apply(m, Options{Isolators: tt.opts}); err != nil {
				t.Fatalf("Apply(--isolators %s) = %v", tt.opts, err)
			}
			got := map[string]int{}
			for _, iso := range m.App.Isolators {
				got[string(iso.Name)]++
			}
			for n, c := range tt.count {
				if got[n] != c {
					t.Errorf("Apply(--isolators %s): %d isolators named %s, want %d", tt.opts, got[n], n, c)
				}
			}
			out, _ := json.Marshal(m)
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("Apply(--isolators %s) = %s, want it to contain %s", tt.opts, out, tt.want)
			}
		})
	}
}
