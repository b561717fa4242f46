package types

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/errkind"
)

func TestNames(t *testing.T) {
	tests := []struct {
		in        string
		id, name  bool // valid as ACIdentifier, as ACName
		wantInErr string
	}{
		{"example.com/app", true, false, `plus "-"`},
		{"a", true, true, ""},
		{"a-b-c9", true, true, ""},
		{"a_b~c.d/e", true, false, `plus "-"`},
		{"", false, false, "cannot be empty"},
		{"A", false, false, "lower case"},
		{"-a", false, false, "start and end"},
		{"a/", false, false, "start and end"},
		// types.md's regex forbids separators in a row in both, but its
		// ACIdentifier example "example.com/~user/app_v1" has one: an
		// ACIdentifier warns (Lint), an ACName refuses.
		{"a..b", true, false, `plus "-"`},
		{"a--b", true, false, "in a row"},
		{"a./b", true, false, `plus "-"`},
		{"example.com/~user/app_v1", true, false, `plus "-"`},
		{"a b", false, false, "lower case"},
		{"é", false, false, "lower case"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := NewACIdentifier(tt.in)
			if (err == nil) != tt.id {
				t.Errorf("NewACIdentifier(%q) = %v, want valid %v", tt.in, err, tt.id)
			}
			if err != nil && (!errors.Is(err, ErrACIdentifier) || !errors.Is(err, errkind.Invalid)) {
				t.Errorf("NewACIdentifier(%q) = %v, want ErrACIdentifier and errkind.Invalid", tt.in, err)
			}
			_, nerr := NewACName(tt.in)
			if (nerr == nil) != tt.name {
				t.Errorf("NewACName(%q) = %v, want valid %v", tt.in, nerr, tt.name)
			}
			// The message is the ACIdentifier one when that fails, else ACName's.
			if msgErr := cmpOr(err, nerr); msgErr != nil && !strings.Contains(msgErr.Error(), tt.wantInErr) {
				t.Errorf("error for %q = %v, want it to contain %q", tt.in, msgErr, tt.wantInErr)
			}
			if nerr != nil && !errors.Is(nerr, ErrACName) {
				t.Errorf("NewACName(%q) = %v, want ErrACName", tt.in, nerr)
			}
			var id ACIdentifier
			if err := json.Unmarshal([]byte(`"`+tt.in+`"`), &id); (err == nil) != tt.id {
				t.Errorf("UnmarshalJSON(%q) = %v, want valid %v", tt.in, err, tt.id)
			}
			if _, err := json.Marshal(ACIdentifier(tt.in)); (err == nil) != tt.id {
				t.Errorf("MarshalJSON(%q) = %v, want valid %v", tt.in, err, tt.id)
			}
			doubled := strings.Contains(tt.in, "..") || strings.Contains(tt.in, "--") || strings.Contains(tt.in, "./") || strings.Contains(tt.in, "/~")
			if lerr := ACIdentifier(tt.in).Lint(); tt.id && (lerr != nil) != doubled {
				t.Errorf("ACIdentifier(%q).Lint() = %v, want a warning %v", tt.in, lerr, doubled)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, id, name string }{
		{"Docker.io/Library/Nginx", "docker.io/library/nginx", "docker-io-library-nginx"},
		{"__a__b__", "a_b", "a-b"},
		{"my app:1", "my_app_1", "my-app-1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, err := SanitizeACIdentifier(tt.in); err != nil || got != tt.id {
				t.Errorf("SanitizeACIdentifier(%q) = %q, %v, want %q", tt.in, got, err, tt.id)
			}
			if got, err := SanitizeACName(tt.in); err != nil || got != tt.name {
				t.Errorf("SanitizeACName(%q) = %q, %v, want %q", tt.in, got, err, tt.name)
			}
		})
	}
	if _, err := SanitizeACName("!!!"); err == nil {
		t.Errorf("SanitizeACName(%q) = nil error, want one", "!!!")
	}
}

func TestACKind(t *testing.T) {
	for in, want := range map[string]string{"ImageManifest": "", "PodManifest": "", "": "ACKind must be set", "imagemanifest": "bad ACKind: imagemanifest"} {
		_, err := NewACKind(in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("NewACKind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSemVer(t *testing.T) {
	good := map[string]SemVer{
		"0.8.11":             {Minor: 8, Patch: 11},
		"0.8.11+git":         {Minor: 8, Patch: 11, Metadata: "git"},
		"7.0.0-rc.1+build5":  {Major: 7, PreRelease: "rc.1", Metadata: "build5"},
		"1.2.3-0.a-b.9+x.01": {Major: 1, Minor: 2, Patch: 3, PreRelease: "0.a-b.9", Metadata: "x.01"},
		"0.0.0-alpha":        {PreRelease: "alpha"},
	}
	for in, want := range good {
		t.Run(in, func(t *testing.T) {
			v, err := NewSemVer(in)
			if err != nil || *v != want {
				t.Fatalf("NewSemVer(%q) = %+v, %v, want %+v", in, v, err, want)
			}
			if v.String() != in {
				t.Errorf("String() = %q, want %q", v.String(), in)
			}
		})
	}
	for _, in := range []string{"", "0.8", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "1.0.0-a..b", "1.0.0-a_b", "0.0.0", "1.2.3.4", "99999999999999999999.0.0", "1.0.x"} {
		t.Run("bad "+in, func(t *testing.T) {
			if _, err := NewSemVer(in); err == nil || !errors.Is(err, ErrSemVer) {
				t.Errorf("NewSemVer(%q) = %v, want an ErrSemVer", in, err)
			}
		})
	}
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		a, b := MustSemVer(order[i]), MustSemVer(order[i+1])
		if !a.LessThan(b) || b.LessThan(a) || a.Compare(a) != 0 {
			t.Errorf("Compare(%s, %s) = %d, want -1", a, b, a.Compare(b))
		}
	}
	if c := MustSemVer("1.0.0+a").Compare(MustSemVer("1.0.0+b")); c != 0 {
		t.Errorf("Compare ignoring metadata = %d, want 0", c)
	}
}

func TestHash(t *testing.T) {
	full := "sha512-" + strings.Repeat("ab", 64)
	key := "sha512-" + strings.Repeat("cd", 32)
	tests := []struct {
		in       string
		full     bool // NewHash accepts
		key      bool // NewHashKey accepts
		errInMsg string
	}{
		{full, true, true, ""},
		{key, false, true, "must have 128 hex digits, got 64"},
		{"sha512-", false, false, "unexpected empty hash value"},
		{"sha512", false, false, "badly formatted hash string"},
		{"sha512-a-b", false, false, "badly formatted hash string"},
		{"sha256-" + strings.Repeat("a", 64), false, false, "unrecognized hash type: sha256"},
		{"sha512-" + strings.Repeat("AB", 64), false, false, "lower case hex"},
		{"sha512-abc", false, false, "got 3"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := NewHash(tt.in)
			if (err == nil) != tt.full {
				t.Fatalf("NewHash(%q) = %v, want valid %v", tt.in, err, tt.full)
			}
			if err != nil && !strings.Contains(err.Error(), tt.errInMsg) {
				t.Errorf("NewHash(%q) = %v, want it to contain %q", tt.in, err, tt.errInMsg)
			}
			if err == nil && h.String() != tt.in {
				t.Errorf("String() = %q, want %q", h.String(), tt.in)
			}
			if _, err := NewHashKey(tt.in); (err == nil) != tt.key {
				t.Errorf("NewHashKey(%q) = %v, want valid %v", tt.in, err, tt.key)
			}
		})
	}
	h := MustHash(full)
	if got, want := h.Short(), full[:39]; got != want {
		t.Errorf("Short() = %q, want %q", got, want)
	}
	if got := h.Key().String(); got != full[:7+64] || !h.Key().IsKey() {
		t.Errorf("Key() = %q, want the 64-digit prefix", got)
	}
	if _, err := json.Marshal(Hash{}); err == nil {
		t.Errorf("Marshal(Hash{}) = nil error, want one")
	}
	sum := make([]byte, 64)
	if got, err := HashFromSum(sum); err != nil || got.String() != "sha512-"+strings.Repeat("0", 128) {
		t.Errorf("HashFromSum(zeros) = %v, %v", got, err)
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"ok", `[{"name":"version","value":"1"},{"name":"os","value":"linux"},{"name":"arch","value":"armv7l"}]`, ""},
		{"arch without os", `[{"name":"arch","value":"sparc"}]`, ""},
		{"null", `null`, ""},
		{"bad arch", `[{"name":"os","value":"linux"},{"name":"arch","value":"sparc"}]`, `[1]: bad arch "sparc" for os linux (must be one of: [amd64 i386 aarch64 aarch64_be armv6l armv7l armv7b ppc64 ppc64le s390x])`},
		{"bad os", `[{"name":"arch","value":"amd64"},{"name":"os","value":"hurd"}]`, `[1]: bad os "hurd" (must be one of: [darwin freebsd linux])`},
		{"dup", `[{"name":"a","value":"1"},{"name":"a","value":"1"}]`, `[1]: duplicate labels of name "a"`},
		{"bad name", `[{"name":"A","value":"1"}]`, `[0].name: ACIdentifier must contain only lower case alphanumeric characters plus "-._~/", got "A"`},
		{"not a list", `{}`, `cannot use JSON object as list`},
		// aci.md: label names "(to avoid confusion with the image's name)
		// cannot be "name"".
		{"named name", `[{"name":"version","value":"1"},{"name":"name","value":"x"}]`, `[1].name: invalid label name: "name" (the image's name is not a label)`},
		{"named names", `[{"name":"names","value":"x"}]`, ""},
		{"named example.com/name", `[{"name":"example.com/name","value":"x"}]`, ""},
		{"named Name", `[{"name":"Name","value":"x"}]`, `[0].name: ACIdentifier must contain only lower case alphanumeric characters plus "-._~/", got "Name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Labels
			err := json.Unmarshal([]byte(tt.in), &l)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, got, tt.wantErr)
			}
		})
	}
	l := Labels{{Name: "os", Value: "linux"}}
	if v, ok := l.Get("os"); !ok || v != "linux" {
		t.Errorf("Get(os) = %q, %v, want linux, true", v, ok)
	}
	if _, ok := l.Get("arch"); ok {
		t.Errorf("Get(arch) ok = true, want false")
	}
	if _, err := json.Marshal(Labels{{Name: "os", Value: "beos"}}); err == nil {
		t.Errorf("Marshal(bad labels) = nil error, want one")
	}
	if _, err := json.Marshal(Labels{{Name: "name", Value: "x"}}); err == nil {
		t.Errorf("Marshal(label named name) = nil error, want one")
	}
	if _, err := LabelsFromMap(map[ACIdentifier]string{"name": "x"}); err == nil {
		t.Errorf("LabelsFromMap(name=x) = nil error, want one")
	}
}

func TestOSArchMapping(t *testing.T) {
	tests := []struct{ goos, goarch, goarm, os, arch string }{
		{"linux", "amd64", "", "linux", "amd64"},
		{"linux", "386", "", "linux", "i386"},
		{"linux", "arm64", "", "linux", "aarch64"},
		{"linux", "arm", "6", "linux", "armv6l"},
		{"linux", "arm", "7", "linux", "armv7l"},
		{"darwin", "amd64", "", "darwin", "x86_64"},
		{"freebsd", "arm", "", "freebsd", "arm"},
		{"linux", "s390x", "", "linux", "s390x"},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.goarch+tt.goarm, func(t *testing.T) {
			os, arch, err := GoOSArchToAppc(tt.goos, tt.goarch, tt.goarm)
			if err != nil || os != tt.os || arch != tt.arch {
				t.Fatalf("GoOSArchToAppc(%s,%s,%s) = %s,%s,%v, want %s,%s", tt.goos, tt.goarch, tt.goarm, os, arch, err, tt.os, tt.arch)
			}
			goos, goarch, goarm, err := AppcOSArchToGo(os, arch)
			wantArm := tt.goarm
			if err != nil || goos != tt.goos || goarch != tt.goarch || goarm != wantArm {
				t.Errorf("AppcOSArchToGo(%s,%s) = %s,%s,%s,%v, want %s,%s,%s", os, arch, goos, goarch, goarm, err, tt.goos, tt.goarch, wantArm)
			}
		})
	}
	for _, c := range [][3]string{{"windows", "amd64", ""}, {"darwin", "arm64", ""}, {"linux", "arm", "5"}} {
		if _, _, err := GoOSArchToAppc(c[0], c[1], c[2]); err == nil {
			t.Errorf("GoOSArchToAppc(%v) = nil error, want one", c)
		}
	}
}

func TestQuantity(t *testing.T) {
	tests := []struct {
		in          string
		value, mill int64
		err         string
	}{
		{"1", 1, 1000, ""},
		{"500m", 1, 500, ""},
		{"0.5", 1, 500, ""},
		{"1k", 1000, 1000000, ""},
		{"1Ki", 1024, 1024000, ""},
		{"1.5Gi", 1610612736, 1610612736000, ""},
		{"1G", 1000000000, 1000000000000, ""},
		{"2e3", 2000, 2000000, ""},
		{"1E-3", 1, 1, ""},
		{".5", 1, 500, ""},
		{"-1", -1, -1000, ""},
		{"100n", 1, 1, ""},
		{"1Gx", 0, 0, "unable to parse quantity's suffix"},
		{"abc", 0, 0, "must match the regular expression"},
		{"", 0, 0, "must match the regular expression"},
		{"1..2", 0, 0, "must match the regular expression"},
		{"1e999", 0, 0, "exponent out of range"},
		{"1e", 0, 0, "unable to parse quantity's suffix"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := ParseQuantity(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrQuantity) {
					t.Fatalf("ParseQuantity(%q) = %v, want an ErrQuantity containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseQuantity(%q) = %v", tt.in, err)
			}
			if v, ok := q.Int64(); !ok || v != tt.value {
				t.Errorf("Int64(%q) = %d, %v, want %d", tt.in, v, ok, tt.value)
			}
			if v, ok := q.MilliInt64(); !ok || v != tt.mill {
				t.Errorf("MilliInt64(%q) = %d, %v, want %d", tt.in, v, ok, tt.mill)
			}
		})
	}
	var q Quantity
	if err := json.Unmarshal([]byte(`1.5`), &q); err != nil || q.String() != "1.5" {
		t.Errorf("Unmarshal(1.5) = %v, %q", err, q.String())
	}
	if err := json.Unmarshal([]byte(`true`), &q); err == nil {
		t.Errorf("Unmarshal(true) = nil error, want one")
	}
	if _, ok := MustQuantity("10E").Int64(); ok {
		t.Errorf("Int64(10E) ok = true, want an overflow")
	}
}

func TestIsolatorAccessors(t *testing.T) {
	var l Isolators
	in := `[
	{"name":"resource/memory","value":{"request":"1Gi","limit":"2Gi"}},
	{"name":"resource/cpu","value":{"limit":"1500m"}},
	{"name":"resource/network-bandwidth","value":{"default":true,"limit":"1M"}},
	{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_KILL"]}},
	{"name":"os/linux/seccomp-remove-set","value":{"set":["reboot"],"errno":"EPERM"}},
	{"name":"os/linux/no-new-privileges","value":true},
	{"name":"os/linux/oom-score-adj","value":-17},
	{"name":"os/linux/cpu-shares","value":1024},
	{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s0"}},
	{"name":"os/linux/apparmor-profile","value":{"profile":"p"}},
	{"name":"os/unix/sysctl","value":{"kernel.x":"1"}}]`
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatalf("Unmarshal = %v", err)
	}
	if v, ok := l[0].Memory(); !ok || v != 2<<30 {
		t.Errorf("Memory() = %d, %v, want %d", v, ok, 2<<30)
	}
	if _, ok := l[1].Memory(); ok {
		t.Errorf("cpu isolator Memory() ok = true")
	}
	if v, ok := l[1].CPUMillis(); !ok || v != 1500 {
		t.Errorf("CPUMillis() = %d, %v, want 1500", v, ok)
	}
	if v, ok := l[2].Limit(); !ok || v != 1000000 {
		t.Errorf("Limit() = %d, %v, want 1000000", v, ok)
	}
	if c, ok := l[3].Capabilities(); !ok || !c.Retain || c.Set[0] != "CAP_KILL" {
		t.Errorf("Capabilities() = %+v, %v", c, ok)
	}
	if s, ok := l[4].Seccomp(); !ok || s.Retain || s.Errno != "EPERM" {
		t.Errorf("Seccomp() = %+v, %v", s, ok)
	}
	if v, ok := l[5].NoNewPrivileges(); !ok || !v {
		t.Errorf("NoNewPrivileges() = %v, %v", v, ok)
	}
	if v, ok := l[6].OOMScoreAdj(); !ok || v != -17 {
		t.Errorf("OOMScoreAdj() = %v, %v", v, ok)
	}
	if v, ok := l[7].CPUShares(); !ok || v != 1024 {
		t.Errorf("CPUShares() = %v, %v", v, ok)
	}
	if v, ok := l[8].SELinuxContext(); !ok || v.String() != "u:r:t:s0" {
		t.Errorf("SELinuxContext() = %v, %v", v, ok)
	}
	if v, ok := l[9].AppArmorProfile(); !ok || v != "p" {
		t.Errorf("AppArmorProfile() = %v, %v", v, ok)
	}
	if v, ok := l[10].Sysctl(); !ok || v["kernel.x"] != "1" {
		t.Errorf("Sysctl() = %v, %v", v, ok)
	}
	if _, err := json.Marshal(l); err != nil {
		t.Errorf("Marshal(isolators) = %v", err)
	}
}

func TestIsolatorConstructors(t *testing.T) {
	if i, err := NewResourceIsolator(ResourceMemoryName, "", "1G"); err != nil {
		t.Errorf("NewResourceIsolator = %v", err)
	} else if v, ok := i.Memory(); !ok || v != 1e9 {
		t.Errorf("Memory() = %d, %v", v, ok)
	}
	if i, err := NewResourceIsolator(ResourceBlockIOPSName, "", "100"); err != nil {
		t.Errorf("NewResourceIsolator(block-iops) = %v", err)
	} else if v, ok := i.Limit(); !ok || v != 100 {
		t.Errorf("Limit() = %d, %v", v, ok)
	}
	if _, err := NewResourceIsolator("os/linux/cpu-shares", "", "1"); err == nil {
		t.Errorf("NewResourceIsolator(cpu-shares) = nil error")
	}
	if _, err := NewCapabilitiesIsolator(true, nil); err == nil {
		t.Errorf("NewCapabilitiesIsolator(empty) = nil error")
	}
	if _, err := NewSeccompIsolator(false, []string{"reboot"}, "eperm"); err == nil {
		t.Errorf("NewSeccompIsolator(errno eperm) = nil error")
	}
	i, err := NewSeccompIsolator(true, []string{SeccompAll}, "")
	if err != nil {
		t.Fatalf("NewSeccompIsolator = %v", err)
	}
	if s, ok := i.Seccomp(); !ok || !s.Retain {
		t.Errorf("Seccomp() = %+v, %v", s, ok)
	}
}

func TestIsolatorLists(t *testing.T) {
	seccomp := `{"name":"os/linux/seccomp-remove-set","value":{"set":["reboot"]}}`
	selinux := `{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t","level":"s0"}}`
	tests := []struct{ name, in, wantErr, wantWarn string }{
		// ace.md: "An executor MAY ignore isolators that it does not understand".
		{"unknown in app", `[{"name":"x/y","value":1}]`, "", `[0].name: unknown isolator "x/y": an executor may ignore it`},
		// types.md: "two required fields: "name" and "value"".
		{"no value", `[{"name":"os/linux/cpu-shares"}]`, `[0].value: isolator os/linux/cpu-shares must have a value`, ""},
		{"null value", `[{"name":"os/linux/cpu-shares","value":null}]`, `[0].value: isolator os/linux/cpu-shares must have a value`, ""},
		{"two caps", `[{"name":"os/linux/capabilities-remove-set","value":{"set":["A"]}},{"name":"os/linux/capabilities-remove-set","value":{"set":["B"]}}]`, "", ""},
		// The spec says nothing against repeats of resource isolators.
		{"cpu twice", `[{"name":"resource/cpu","value":{"limit":1}},{"name":"resource/cpu","value":{"limit":2}}]`, "", `[1]: isolator "resource/cpu" given more than once: executors may differ on which one counts`},
		{"negative limit", `[{"name":"resource/memory","value":{"limit":"-1G"}}]`, "", `[0].value.limit: negative quantity "-1G"`},
		// ace.md: "Only a single os/linux/seccomp-remove-set isolator can be specified per-app".
		{"seccomp twice", `[` + seccomp + `,` + seccomp + `]`, `[1]: isolators set contains too many instances of type "os/linux/seccomp-remove-set"`, ""},
		// ace.md: "Only a single os/linux/selinux-context isolator can be specified per-app".
		{"selinux twice", `[` + selinux + `,` + selinux + `]`, `[1]: isolators set contains too many instances of type "os/linux/selinux-context"`, ""},
		{"selinux empty level", `[{"name":"os/linux/selinux-context","value":{"user":"u","role":"r","type":"t"}}]`, `[0].value.level: invalid level value ""`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Isolators
			err := json.Unmarshal([]byte(tt.in), &l)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, got, tt.wantErr)
			}
			if err != nil {
				return
			}
			var ws []string
			for _, w := range l.Lint(true) {
				ws = append(ws, w.Error())
			}
			if g := strings.Join(ws, "; "); g != tt.wantWarn {
				t.Errorf("Lint(%s) = %q, want %q", tt.in, g, tt.wantWarn)
			}
		})
	}
	var pod Isolators
	if err := json.Unmarshal([]byte(`[{"name":"x/y","value":1}]`), &pod); err != nil || len(pod.Lint(false)) != 0 {
		t.Errorf("pod-level unknown isolator: Unmarshal = %v, Lint(false) = %v, want valid and no warning", err, pod.Lint(false))
	}
	sysctl := `{"name":"os/unix/sysctl","value":{"net.ipv4.ip_forward":"1"}}`
	var list []Isolator
	if err := json.Unmarshal([]byte(`[`+sysctl+`,`+sysctl+`]`), &list); err != nil {
		t.Fatal(err)
	}
	// ace.md: "Only a single os/unix/sysctl isolator can be specified per-pod".
	if err := Isolators(list).AssertPodValid(); err == nil {
		t.Errorf("AssertPodValid(two sysctl) = nil, want an error")
	}
	// A single isolator outside an app list may be unknown (pod level).
	var i Isolator
	if err := json.Unmarshal([]byte(`{"name":"x/y","value":{"a":1}}`), &i); err != nil || i.Known() || i.Value() != nil {
		t.Errorf("Unmarshal(unknown isolator) = %v, known %v", err, i.Known())
	}
}

func TestAppRules(t *testing.T) {
	base := `"user":"0","group":"0"`
	tests := []struct{ name, in, wantErr string }{
		{"ok", `{"exec":["x"],` + base + `}`, ""},
		// aci.md: "exec (list of strings, optional)".
		{"no exec", `{` + base + `}`, ""},
		{"empty exec", `{"exec":[],` + base + `}`, ""},
		{"null exec", `{"exec":null,` + base + `}`, ""},
		{"relative exec", `{"exec":["sh","-c","true"],` + base + `}`, ""},
		{"exec not list", `{"exec":"x",` + base + `}`, `exec: cannot use JSON string as list`},
		{"env", `{"exec":["x"],` + base + `,"environment":[{"name":"OK","value":""},{"name":"a b","value":""}]}`, `environment[1].name: environment variable does not have valid identifier "a b"`},
		{"port count", `{"exec":["x"],` + base + `,"ports":[{"name":"p","protocol":"tcp","port":65530,"count":7}]}`, `ports[0].count: end of port range must be in 1-65535 range, got 65530+7`},
		{"handler", `{"exec":["x"],` + base + `,"eventHandlers":[{"name":"post-stop","exec":["y"]},{"name":"post-stop","exec":["z"]}]}`, `eventHandlers[1]: Only one eventHandler of name "post-stop" allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a App
			err := json.Unmarshal([]byte(tt.in), &a)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("Unmarshal(%s) = %q, want %q", tt.in, got, tt.wantErr)
			}
		})
	}
	var p Port
	if err := json.Unmarshal([]byte(`{"name":"p","protocol":"tcp","port":80}`), &p); err != nil || p.Count != 1 {
		t.Errorf("Unmarshal(port without count) = %v, count %d, want count 1", err, p.Count)
	}
	if _, err := json.Marshal(Port{Name: "p", Protocol: "tcp"}); err == nil {
		t.Errorf("Marshal(port 0) = nil error, want one")
	}
	var mp MountPoint
	if err := json.Unmarshal([]byte(`{"name":"data"}`), &mp); err == nil || err.Error() != "path: mountPoint path must be set" {
		t.Errorf("Unmarshal(mount point without path) = %v", err)
	}
	if b, err := json.Marshal(App{User: "0", Group: "0"}); err != nil || string(b) != `{"user":"0","group":"0"}` {
		t.Errorf("Marshal(app without exec) = %s, %v, want {\"user\":\"0\",\"group\":\"0\"}", b, err)
	}
	if _, err := json.Marshal(App{Group: "0"}); err == nil {
		t.Errorf("Marshal(app without user) = nil error, want one")
	}
	e := Environment{}
	e.Set("A", "1")
	e.Set("A", "2")
	if v, ok := e.Get("A"); !ok || v != "2" || len(e) != 1 {
		t.Errorf("Environment Set/Get = %v", e)
	}
}

func TestVolume(t *testing.T) {
	var v Volume
	if err := json.Unmarshal([]byte(`{"name":"d","kind":"empty"}`), &v); err != nil {
		t.Fatal(err)
	}
	if *v.Mode != "0755" || *v.UID != 0 || *v.GID != 0 || !v.IsRecursive() || v.IsReadOnly() {
		t.Errorf("empty volume defaults = %+v", v)
	}
	tests := []struct{ in, wantErr string }{
		{"data,kind=host,source=/srv,readOnly=true", ""},
		{"data,kind=empty,mode=0700,uid=1,gid=2", ""},
		{"data,kind=host", "source for host volume cannot be empty"},
		{"data,kind=host,source=srv", "must be absolute path"},
		{"data,kind=empty,source=/x", "source for empty volume must be empty"},
		{"data,kind=nfs", "unrecognized volume kind"},
		{"Data,kind=empty", "ACName"},
		// pods.md: uid is "only interpreted if kind is "empty"": ignored
		// on a host volume, with a warning (see Lint).
		{"data,kind=host,source=/x,uid=0", ""},
		{"data,kind=empty,color=red", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := VolumeFromString(tt.in)
			if err == nil {
				var back Volume
				if err := back.Set(v.String()); err != nil || back.String() != v.String() {
					t.Errorf("Set(%q) = %v, String() = %q", v.String(), err, back.String())
				}
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("VolumeFromString(%q) = %v, want %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestScalars(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) error
		good []string
		bad  []string
	}{
		{"UUID", func(s string) error { _, err := NewUUID(s); return err },
			[]string{"6733c6b4-9a2c-4d0b-8e1f-0123456789ab", "6733C6B49A2C4D0B8E1F0123456789AB"},
			[]string{"", "00000000-0000-0000-0000-000000000000", "6733c6b4", "zz33c6b4-9a2c-4d0b-8e1f-0123456789ab"}},
		{"Date", func(s string) error { _, err := NewDate(s); return err },
			[]string{"2016-01-02T15:04:05Z", "2016-01-02T15:04:05.123+02:00"},
			[]string{"2016-01-02 15:04:05", "2016-01-02", ""}},
		{"URL", func(s string) error { _, err := NewURL(s); return err },
			[]string{"http://example.com", "https://example.com/a?b#c"},
			[]string{"ftp://example.com", "example.com", "http://", ""}},
	}
	for _, tt := range tests {
		for _, s := range tt.good {
			t.Run(tt.name+" "+s, func(t *testing.T) {
				if err := tt.fn(s); err != nil {
					t.Errorf("New%s(%q) = %v, want nil", tt.name, s, err)
				}
			})
		}
		for _, s := range tt.bad {
			t.Run(tt.name+" bad "+s, func(t *testing.T) {
				if err := tt.fn(s); err == nil || !errors.Is(err, errkind.Invalid) {
					t.Errorf("New%s(%q) = %v, want an Invalid error", tt.name, s, err)
				}
			})
		}
	}
	if got := MustUUID("6733C6B49A2C4D0B8E1F0123456789AB").String(); got != "6733c6b4-9a2c-4d0b-8e1f-0123456789ab" {
		t.Errorf("UUID.String() = %q", got)
	}
}

func TestErrorsAs(t *testing.T) {
	var l Labels
	err := json.Unmarshal([]byte(`[{"name":"os","value":"x"}]`), &l)
	var fe *FieldError
	var ve *ValueError
	if !errors.As(err, &fe) || fe.Path != "[0]" {
		t.Fatalf("errors.As(%v, *FieldError) path = %v, want [0]", err, fe)
	}
	if !errors.As(err, &ve) || ve.Kind != ErrLabels || !errors.Is(err, ErrLabels) || !errors.Is(err, errkind.Invalid) {
		t.Errorf("errors.As(%v, *ValueError) = %+v, want kind ErrLabels", err, ve)
	}
}

func cmpOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
