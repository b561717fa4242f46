package schema

// The conformance table: every MUST, MUST NOT, "cannot", "required",
// "optional" and format rule of the AppC 0.8.11 spec text about manifests
// (spec/aci.md, pods.md, types.md, ace.md), each with valid and invalid
// neighbours, judged by our parser and, where it can be built, by the
// reference actool. The text decides: want is what the quoted sentence
// says (a warning where we are stricter than the text); ref is what the
// reference says. docs/conformance.md carries this table (its "Spec text"
// section is generated from it: go test -run TestConformanceDoc -update)
// and explains every row where ref differs from want.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/acikit/acikit/internal/testutil"
)

// Verdicts: ours (want) and the reference's (ref).
const (
	valid   = "valid"   // accepted without warning
	warn    = "warn"    // accepted with a warning; refused by actool validate --strict
	invalid = "invalid" // refused

	accepts = "accepts"
	rejects = "rejects"
	panics  = "panics"
)

type rule struct {
	id    string // unique; docs/conformance.md names differing rows by it
	doc   string // spec file
	quote string // the sentence, quoted
	rows  []row
}

type row struct {
	name     string // what the neighbour is
	manifest string
	want     string // valid, warn or invalid
	ref      string // accepts, rejects or panics
}

const testID = "sha512-cbead8fe640f4d4a9a34356dba22e9f4c440233b4d13a780cbf067bfc6e9bbbb3e20da84b5b00070eefda0883ae6974a5b9626938386609a9df158cc8e48743e"

// img is an image manifest with the given top-level fields after name;
// app is one with the given app fields after exec, user and group.
func img(fields string) string {
	if fields != "" {
		fields = "," + fields
	}
	return `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/app"` + fields + `}`
}

func app(fields string) string {
	if fields != "" {
		fields = "," + fields
	}
	return img(`"app":{"exec":["/bin/app"],"user":"0","group":"0"` + fields + `}`)
}

func isolators(list string) string { return app(`"isolators":[` + list + `]`) }

// pod is a pod manifest with one app (the given image) and the given
// top-level fields.
func pod(image, fields string) string {
	if fields != "" {
		fields = "," + fields
	}
	return `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"web","image":` + image + `}]` + fields + `}`
}

func podID(fields string) string { return pod(`{"id":"`+testID+`"}`, fields) }

func iso(name, value string) string {
	if value == "" {
		return `{"name":"` + name + `"}`
	}
	return `{"name":"` + name + `","value":` + value + `}`
}

var conformance = []rule{
	// types.md
	{"acidentifier", "types.md", "An AC Identifier Type will match the following RE2 regular expression: `^[a-z0-9]+([-._~/][a-z0-9]+)*$`", []row{
		// The text's own example breaks its regex: separators in a row
		// warn, and the reference accepts them.
		{"example.com/~user/app_v1", strings.Replace(img(""), "example.com/app", "example.com/~user/app_v1", 1), warn, accepts},
		{"doubled separator a..b", strings.Replace(img(""), "example.com/app", "example..com/app", 1), warn, accepts},
		{"sub-domain.example.com/org/product/release", strings.Replace(img(""), "example.com/app", "sub-domain.example.com/org/product/release", 1), valid, accepts},
		{"leading separator", strings.Replace(img(""), "example.com/app", "-example.com/app", 1), invalid, rejects},
		{"upper case", strings.Replace(img(""), "example.com/app", "Example.com/app", 1), invalid, rejects},
	}},
	{"acidentifier-empty", "types.md", `An AC Identifier Type cannot be an empty string`, []row{
		{"empty name", strings.Replace(img(""), `"example.com/app"`, `""`, 1), invalid, rejects},
	}},
	{"acname", "types.md", "An AC Name Type will match the following RE2 regular expression: `^[a-z0-9]+([-][a-z0-9]+)*$`", []row{
		{"a-b", strings.Replace(podID(""), `"web"`, `"a-b"`, 1), valid, accepts},
		{"doubled separator a--b", strings.Replace(podID(""), `"web"`, `"a--b"`, 1), invalid, accepts},
		{"dot", strings.Replace(podID(""), `"web"`, `"a.b"`, 1), invalid, rejects},
	}},
	{"ackind", "types.md", `An AC Kind cannot be an empty string and must be alphanumeric characters. ... Defined Kinds: ImageManifest, PodManifest`, []row{
		{"unknown kind", strings.Replace(img(""), "ImageManifest", "Image", 1), invalid, rejects},
		{"empty kind", strings.Replace(img(""), `"ImageManifest"`, `""`, 1), invalid, rejects},
		{"no kind", strings.Replace(img(""), `"acKind":"ImageManifest",`, ``, 1), invalid, panics},
	}},
	{"acversion", "types.md", `An AC Version cannot be an empty string and must be in SemVer v2.0.0 format.`, []row{
		{"0.8.11", img(""), valid, accepts},
		{"not semver", strings.Replace(img(""), "0.8.11", "0.8", 1), invalid, rejects},
		{"leading zero", strings.Replace(img(""), "0.8.11", "0.08.11", 1), invalid, accepts},
		{"empty", strings.Replace(img(""), `"0.8.11"`, `""`, 1), invalid, rejects},
	}},
	{"acversion-major", "types.md", `An AC Version for Image Manifest and Pod Manifest schemas must be compatible on major AC version series.`, []row{
		{"another major", strings.Replace(img(""), "0.8.11", "1.0.0", 1), warn, accepts},
		{"newer minor", strings.Replace(img(""), "0.8.11", "0.9.0", 1), valid, accepts},
	}},
	{"image-id", "types.md", `An Image ID Type must be a string of the format "hash-value", where "hash" is the hash algorithm used and "value" is the hex encoded string of the digest. Currently the only permitted hash algorithm is sha512.`, []row{
		{"sha512 and 128 hex digits", podID(""), valid, accepts},
		{"sha256", pod(`{"id":"sha256-`+strings.Repeat("ab", 32)+`"}`, ""), invalid, rejects},
		{"not hex", pod(`{"id":"sha512-zz"}`, ""), invalid, accepts},
		{"short", pod(`{"id":"sha512-abcd"}`, ""), invalid, accepts},
		{"no dash", pod(`{"id":"sha512"}`, ""), invalid, rejects},
	}},
	{"isolator-fields", "types.md", `An Isolator Type must be a JSON object with two required fields: "name" and "value". ... "value" may be an arbitrary JSON value.`, []row{
		{"known without value", isolators(iso("os/linux/cpu-shares", "")), invalid, panics},
		{"unknown without value (pod)", podID(`"isolators":[` + iso("example.com/custom", "") + `]`), invalid, accepts},
		{"unknown with null value (pod)", podID(`"isolators":[` + iso("example.com/custom", "null") + `]`), valid, accepts},
		{"no name (pod)", podID(`"isolators":[{"value":1}]`), invalid, accepts},
	}},
	{"timestamp", "types.md", `Timestamps will be formatted to RFC3339. Specifically including the "T" between the date and time components`, []row{
		{"with T", img(`"annotations":[{"name":"created","value":"2016-01-02T15:04:05Z"}]`), valid, accepts},
		{"without T", img(`"annotations":[{"name":"created","value":"2016-01-02 15:04:05Z"}]`), invalid, rejects},
	}},

	// aci.md
	{"name-required", "aci.md", `name (string, required) a human-readable name for this App Container Image (string, restricted to the AC Identifier formatting)`, []row{
		{"no name", `{"acKind":"ImageManifest","acVersion":"0.8.11"}`, invalid, rejects},
	}},
	{"image-acversion-required", "aci.md", `acVersion (string, required) represents the version of the schema specification`, []row{
		{"no acVersion", `{"acKind":"ImageManifest","name":"example.com/app"}`, invalid, rejects},
	}},
	{"label-pairs", "aci.md", `The listed objects must have two key-value pairs: name is restricted to the AC Identifier formatting and value is an arbitrary string.`, []row{
		{"name and value", img(`"labels":[{"name":"version","value":"1"}]`), valid, accepts},
		{"no value", img(`"labels":[{"name":"version"}]`), invalid, accepts},
		{"bad name", img(`"labels":[{"name":"Version","value":"1"}]`), invalid, rejects},
	}},
	{"label-unique", "aci.md", `Label names must be unique within the list`, []row{
		{"duplicate", img(`"labels":[{"name":"version","value":"1"},{"name":"version","value":"2"}]`), invalid, rejects},
	}},
	{"label-not-name", "aci.md", `(to avoid confusion with the image's name) cannot be "name"`, []row{
		{"label name", img(`"labels":[{"name":"name","value":"x"}]`), invalid, rejects},
		{"dependency label name", img(`"dependencies":[{"imageName":"example.com/base","labels":[{"name":"name","value":"x"}]}]`), invalid, rejects},
		{"pod image label name", pod(`{"id":"`+testID+`","labels":[{"name":"name","value":"x"}]}`, ""), invalid, rejects},
		{"label names", img(`"labels":[{"name":"names","value":"x"}]`), valid, accepts},
	}},
	{"os-arch", "aci.md", `arch is meaningful only if os is provided. ... The combinations whitelisted by default are ... linux/amd64, linux/i386, freebsd/amd64, freebsd/i386, freebsd/arm, darwin/x86_64, darwin/i386.`, []row{
		{"linux/amd64", img(`"labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]`), valid, accepts},
		{"darwin/amd64", img(`"labels":[{"name":"os","value":"darwin"},{"name":"arch","value":"amd64"}]`), invalid, rejects},
		{"unknown os", img(`"labels":[{"name":"os","value":"plan9"}]`), invalid, rejects},
		{"arch without os", img(`"labels":[{"name":"arch","value":"sparc"}]`), valid, accepts},
	}},
	{"app-optional", "aci.md", `app (object, optional) if present, defines the default parameters that can be used to execute this image as an application.`, []row{
		{"no app", img(""), valid, accepts},
	}},
	{"exec-optional", "aci.md", `exec (list of strings, optional) executable to launch and any flags. ... If the specified filename does not contain a slash (/) character, the executable is sought according to the PATH environment variable.`, []row{
		{"absent", img(`"app":{"user":"0","group":"0"}`), valid, accepts},
		{"empty list", img(`"app":{"exec":[],"user":"0","group":"0"}`), valid, accepts},
		{"relative", img(`"app":{"exec":["sh","-c","true"],"user":"0","group":"0"}`), valid, accepts},
		{"empty program", img(`"app":{"exec":[""],"user":"0","group":"0"}`), warn, accepts},
		{"a string", img(`"app":{"exec":"/bin/app","user":"0","group":"0"}`), invalid, rejects},
	}},
	{"user-group", "aci.md", `user, group (string, required) indicates either the username/group name or the UID/GID the app is to be run as (freeform string).`, []row{
		{"no user", img(`"app":{"exec":["/bin/app"],"group":"0"}`), invalid, rejects},
		{"no group", img(`"app":{"exec":["/bin/app"],"user":"0"}`), invalid, rejects},
		{"a path", img(`"app":{"exec":["/bin/app"],"user":"/bin/ping","group":"root"}`), valid, accepts},
	}},
	{"supplementary-gids", "aci.md", `supplementaryGIDs (list of unsigned integers, optional)`, []row{
		{"positive", app(`"supplementaryGIDs":[400]`), valid, accepts},
		{"negative", app(`"supplementaryGIDs":[-1]`), invalid, accepts},
	}},
	{"event-handler-name", "aci.md", `a name (there may be only one eventHandler of a given name), which must be one of: pre-start ... post-stop`, []row{
		{"pre-start", app(`"eventHandlers":[{"name":"pre-start","exec":["/bin/x"]}]`), valid, accepts},
		{"other name", app(`"eventHandlers":[{"name":"pre-stop","exec":["/bin/x"]}]`), invalid, rejects},
		{"twice", app(`"eventHandlers":[{"name":"pre-start","exec":["/bin/x"]},{"name":"pre-start","exec":["/bin/y"]}]`), invalid, rejects},
	}},
	{"event-handler-exec", "aci.md", `An eventHandler is a simple object with two fields - an exec (array of strings, ACE can append or override), and a name`, []row{
		{"no exec", app(`"eventHandlers":[{"name":"post-stop"}]`), warn, accepts},
	}},
	{"working-directory", "aci.md", `workingDirectory (string, optional) ... (must be an absolute path, defaults to "/", ACE can override)`, []row{
		{"absolute", app(`"workingDirectory":"/opt"`), valid, accepts},
		{"relative", app(`"workingDirectory":"opt"`), invalid, rejects},
	}},
	{"environment", "aci.md", `The listed objects must have two key-value pairs: name and value. The name must consist solely of letters, digits, and underscores '_' ... with practical considerations dictating that the name may also include periods '.' and hyphens '-'.`, []row{
		{"dots and hyphens", app(`"environment":[{"name":"a.b-c","value":""}]`), valid, accepts},
		{"space", app(`"environment":[{"name":"a b","value":""}]`), invalid, rejects},
		{"leading digit (IEEE Std 1003.1)", app(`"environment":[{"name":"1X","value":""}]`), invalid, rejects},
		{"no value", app(`"environment":[{"name":"A"}]`), invalid, accepts},
	}},
	{"mount-points", "aci.md", `The listed objects contain the following key-value pairs: the name ... and the path ... The name is restricted to the AC Name Type formatting.`, []row{
		{"name and path", app(`"mountPoints":[{"name":"data","path":"/data"}]`), valid, accepts},
		{"bad name", app(`"mountPoints":[{"name":"Data","path":"/data"}]`), invalid, rejects},
		{"no name", app(`"mountPoints":[{"path":"/data"}]`), invalid, accepts},
		{"no path", app(`"mountPoints":[{"name":"data"}]`), invalid, accepts},
	}},
	{"port-fields", "aci.md", `name (string, required, restricted to the AC Name formatting) ... protocol (string, required) ... port (integer, required) ... Must be >=1 and <=65535.`, []row{
		{"complete", app(`"ports":[{"name":"www","protocol":"tcp","port":80}]`), valid, accepts},
		{"no name", app(`"ports":[{"protocol":"tcp","port":80}]`), invalid, accepts},
		{"no protocol", app(`"ports":[{"name":"www","port":80}]`), invalid, accepts},
		{"any protocol", app(`"ports":[{"name":"www","protocol":"sctp","port":80}]`), valid, accepts},
		{"port 0", app(`"ports":[{"name":"www","protocol":"tcp","port":0}]`), invalid, rejects},
		{"port 65536", app(`"ports":[{"name":"www","protocol":"tcp","port":65536}]`), invalid, rejects},
	}},
	{"port-count", "aci.md", `count (integer, optional, defaults to 1 if unset) specifies a range of ports, starting with "port" and ending with "port" + "count" - 1. Must be >=1.`, []row{
		{"range", app(`"ports":[{"name":"ftp","protocol":"tcp","port":20000,"count":1000}]`), valid, accepts},
		{"count 0", app(`"ports":[{"name":"ftp","protocol":"tcp","port":20000,"count":0}]`), invalid, accepts},
		{"past 65535", app(`"ports":[{"name":"ftp","protocol":"tcp","port":65535,"count":2}]`), invalid, rejects},
	}},
	{"user-annotations", "aci.md", `userAnnotations (object, optional) map of arbitrary key-value data for end-user use. All values in the object must be strings.`, []row{
		{"strings", app(`"userAnnotations":{"Any Key":"v"}`), valid, accepts},
		{"a number", app(`"userAnnotations":{"k":1}`), invalid, rejects},
	}},
	{"dependency", "aci.md", `imageName (string of type AC Identifier, required) ... imageID (string of type Image ID, optional) ... labels (list of objects, optional) a list of the very same form as the aforementioned label objects`, []row{
		{"name only", img(`"dependencies":[{"imageName":"example.com/base"}]`), valid, accepts},
		{"no imageName", img(`"dependencies":[{"imageID":"` + testID + `"}]`), invalid, rejects},
		{"bad imageID", img(`"dependencies":[{"imageName":"example.com/base","imageID":"sha1-ab"}]`), invalid, rejects},
		{"bad os label", img(`"dependencies":[{"imageName":"example.com/base","labels":[{"name":"os","value":"plan9"}]}]`), invalid, rejects},
	}},
	{"path-whitelist", "aci.md", `pathWhitelist (list of strings, optional) whitelist of absolute paths that will exist in the app's rootfs after rendering. ... An empty list is equivalent to an absent value`, []row{
		{"absolute", img(`"pathWhitelist":["/bin/app"]`), valid, accepts},
		{"empty", img(`"pathWhitelist":[]`), valid, accepts},
		{"relative", img(`"pathWhitelist":["bin/app"]`), invalid, accepts},
	}},
	{"annotations", "aci.md", `Each object has two key-value pairs: the name is restricted to the AC Identifier formatting and value is an arbitrary string. Annotation names must be unique within the list.`, []row{
		{"identifier name", img(`"annotations":[{"name":"example.com/x","value":"1"}]`), valid, accepts},
		{"duplicate", img(`"annotations":[{"name":"authors","value":"a"},{"name":"authors","value":"b"}]`), invalid, rejects},
		{"no value", img(`"annotations":[{"name":"authors"}]`), invalid, accepts},
	}},
	{"annotation-urls", "aci.md", `homepage URL to find more information on the image (string, must be a URL with scheme HTTP or HTTPS)`, []row{
		{"https", img(`"annotations":[{"name":"homepage","value":"https://example.com"}]`), valid, accepts},
		{"ftp", img(`"annotations":[{"name":"homepage","value":"ftp://example.com"}]`), invalid, rejects},
	}},
	{"systemd-notify", "aci.md", `appc.io/executor/supports-systemd-notify (string boolean, optional, defaults to "false" if unset)`, []row{
		{"true", img(`"annotations":[{"name":"appc.io/executor/supports-systemd-notify","value":"true"}]`), valid, accepts},
		{"yes", img(`"annotations":[{"name":"appc.io/executor/supports-systemd-notify","value":"yes"}]`), invalid, accepts},
	}},

	// ace.md
	{"isolators-unknown", "ace.md", `An executor MAY ignore isolators that it does not understand and run the pod without them.`, []row{
		{"unknown in an app", isolators(iso("example.com/custom", "1")), warn, rejects},
		{"unknown in a pod", podID(`"isolators":[` + iso("example.com/custom", "1") + `]`), valid, accepts},
	}},
	{"seccomp-single", "ace.md", `Only a single os/linux/seccomp-remove-set isolator can be specified per-app, and it cannot be used in conjunction with the os/linux/seccomp-retain-set isolator.`, []row{
		{"twice", isolators(iso("os/linux/seccomp-remove-set", `{"set":["reboot"]}`) + "," + iso("os/linux/seccomp-remove-set", `{"set":["swapon"]}`)), invalid, rejects},
		{"with retain", isolators(iso("os/linux/seccomp-remove-set", `{"set":["reboot"]}`) + "," + iso("os/linux/seccomp-retain-set", `{"set":["read"]}`)), invalid, rejects},
	}},
	{"seccomp-set", "ace.md", `set ... This field MUST NOT be empty. ... errno all-uppercase name of a single errno code`, []row{
		{"empty set", isolators(iso("os/linux/seccomp-remove-set", `{"set":[]}`)), invalid, rejects},
		{"lower-case errno", isolators(iso("os/linux/seccomp-remove-set", `{"set":["reboot"],"errno":"eperm"}`)), invalid, rejects},
		{"errno", isolators(iso("os/linux/seccomp-remove-set", `{"set":["reboot"],"errno":"EPERM"}`)), valid, accepts},
	}},
	{"selinux-single", "ace.md", `Only a single os/linux/selinux-context isolator can be specified per-app.`, []row{
		{"twice", isolators(iso("os/linux/selinux-context", `{"user":"u","role":"r","type":"t","level":"s0"}`) + "," + iso("os/linux/selinux-context", `{"user":"u","role":"r","type":"t","level":"s0"}`)), invalid, rejects},
	}},
	{"sysctl-single", "ace.md", `Only a single os/unix/sysctl isolator can be specified per-pod.`, []row{
		{"twice in a pod", podID(`"isolators":[` + iso("os/unix/sysctl", `{"net.ipv4.ip_forward":"1"}`) + "," + iso("os/unix/sysctl", `{"net.ipv4.ip_forward":"0"}`) + `]`), invalid, accepts},
	}},
	{"capabilities", "ace.md", `The retain set cannot be used in conjunction with the remove set.`, []row{
		{"retain and remove", isolators(iso("os/linux/capabilities-retain-set", `{"set":["CAP_KILL"]}`) + "," + iso("os/linux/capabilities-remove-set", `{"set":["CAP_CHOWN"]}`)), invalid, accepts},
		{"two retain sets", isolators(iso("os/linux/capabilities-retain-set", `{"set":["CAP_KILL"]}`) + "," + iso("os/linux/capabilities-retain-set", `{"set":["CAP_CHOWN"]}`)), valid, accepts},
	}},
	{"resource-repeat", "ace.md", `(resource isolators: the text says nothing about how many of one kind a list may hold)`, []row{
		{"memory twice", isolators(iso("resource/memory", `{"limit":"1G"}`) + "," + iso("resource/memory", `{"limit":"2G"}`)), warn, accepts},
	}},
	{"resource-quantity", "ace.md", `For convenience, when specified by users quantities may either be unsuffixed, have metric suffices (E, P, T, G, M, K) or binary (power-of-two) suffices (Ei, Pi, Ti, Gi, Mi, Ki). ... Small quantities can be represented directly as decimals (e.g., 0.3), or using milli-units (e.g., "300m").`, []row{
		{"123Mi", isolators(iso("resource/memory", `{"limit":"123Mi"}`)), valid, accepts},
		{"300m", isolators(iso("resource/cpu", `{"limit":"300m"}`)), valid, accepts},
		{"lots", isolators(iso("resource/memory", `{"limit":"lots"}`)), invalid, rejects},
		{"negative", isolators(iso("resource/memory", `{"limit":"-1G"}`)), warn, accepts},
	}},
	{"resource-default", "ace.md", `default must be set to true and means that this limit applies to all block devices by default`, []row{
		{"default true", isolators(iso("resource/block-bandwidth", `{"default":true,"limit":"1M"}`)), valid, accepts},
		{"default false", isolators(iso("resource/block-bandwidth", `{"default":false,"limit":"1M"}`)), invalid, rejects},
	}},

	// pods.md
	{"pod-acversion", "pods.md", `acVersion (string, required) represents the version of the schema specification`, []row{
		{"no acVersion", strings.Replace(podID(""), `"acVersion":"0.8.11",`, ``, 1), invalid, accepts},
	}},
	{"pod-apps", "pods.md", `apps (list of objects, required) list of apps that will execute inside of this pod.`, []row{
		{"no apps", `{"acVersion":"0.8.11","acKind":"PodManifest"}`, invalid, accepts},
		{"empty list", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[]}`, valid, accepts},
	}},
	{"pod-app-name", "pods.md", `name (string, required) name of the app (restricted to AC Name formatting). This is used to identify an app within a pod, and hence MUST be unique within the list of apps.`, []row{
		{"duplicate", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"` + testID + `"}},{"name":"a","image":{"id":"` + testID + `"}}]}`, invalid, rejects},
		{"no name", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"image":{"id":"` + testID + `"}}]}`, invalid, accepts},
	}},
	{"pod-template", "pods.md", `Pod Manifests can serve the role of both deployable template and runtime manifest ... A Pod Manifest must be fully resolved (reified) before execution. ... id (string of type Image ID, required)`, []row{
		{"template: name, no id", pod(`{"name":"example.com/web"}`, ""), valid, accepts},
		{"neither id nor name", pod(`{"labels":[{"name":"version","value":"1"}]}`, ""), invalid, accepts},
		{"bad image name", pod(`{"name":"Web"}`, ""), invalid, rejects},
	}},
	{"pod-mounts", "pods.md", `volume (string, required) name of the volume that will fulfill this mount (restricted to the AC Name formatting) ... path (string, required) path inside the app filesystem to mount the volume`, []row{
		{"volume and path", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"` + testID + `"},"mounts":[{"volume":"v","path":"/v"}]}]}`, valid, accepts},
		{"no path", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"` + testID + `"},"mounts":[{"volume":"v"}]}]}`, invalid, accepts},
		{"no volume", `{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"a","image":{"id":"` + testID + `"},"mounts":[{"path":"/v"}]}]}`, invalid, accepts},
	}},
	{"pod-annotations", "pods.md", `annotations (list of objects, optional) ... name is restricted to the AC Name formatting and value is an arbitrary string). Annotation names must be unique within the list.`, []row{
		{"AC Name", podID(`"annotations":[{"name":"ip-address","value":"10.1.2.3"}]`), valid, accepts},
		{"AC Identifier", podID(`"annotations":[{"name":"example.com/ip","value":"10.1.2.3"}]`), invalid, accepts},
		{"duplicate", podID(`"annotations":[{"name":"a","value":"1"},{"name":"a","value":"2"}]`), invalid, rejects},
	}},
	{"volume-kind", "pods.md", `kind (string, required) either: empty ... host`, []row{
		{"empty", podID(`"volumes":[{"name":"v","kind":"empty"}]`), valid, accepts},
		{"no kind", podID(`"volumes":[{"name":"v"}]`), invalid, rejects},
		{"other kind", podID(`"volumes":[{"name":"v","kind":"tmpfs"}]`), invalid, rejects},
		{"no name", podID(`"volumes":[{"kind":"empty"}]`), invalid, rejects},
	}},
	{"volume-source", "pods.md", `source (string, required if kind is "host") absolute path on host to be bind mounted under a mount point in each app's chroot.`, []row{
		{"host absolute", podID(`"volumes":[{"name":"v","kind":"host","source":"/srv"}]`), valid, accepts},
		{"host without source", podID(`"volumes":[{"name":"v","kind":"host"}]`), invalid, rejects},
		{"host relative", podID(`"volumes":[{"name":"v","kind":"host","source":"srv"}]`), invalid, rejects},
		{"empty with source (text silent)", podID(`"volumes":[{"name":"v","kind":"empty","source":"/srv"}]`), invalid, rejects},
	}},
	{"volume-empty-only", "pods.md", `mode (string, optional, only interpreted if kind is "empty", defaults to "0755" if unsupplied) indicates the mode permission of the empty volume.`, []row{
		{"empty mode", podID(`"volumes":[{"name":"v","kind":"empty","mode":"0700"}]`), valid, accepts},
		{"empty mode not octal", podID(`"volumes":[{"name":"v","kind":"empty","mode":"rwx"}]`), warn, accepts},
		{"host mode", podID(`"volumes":[{"name":"v","kind":"host","source":"/srv","mode":"0700"}]`), warn, rejects},
		{"host uid", podID(`"volumes":[{"name":"v","kind":"host","source":"/srv","uid":1}]`), warn, rejects},
	}},
	{"pod-ports", "pods.md", `name (string, required, restricted to the AC Name formatting) ... hostPort (integer, required) port number on the host that will be mapped to the application port.`, []row{
		{"name and hostPort", podID(`"ports":[{"name":"www","hostPort":8080}]`), valid, accepts},
		{"no name", podID(`"ports":[{"hostPort":8080}]`), invalid, accepts},
		{"no hostPort", podID(`"ports":[{"name":"www"}]`), invalid, accepts},
		{"hostPort 65536", podID(`"ports":[{"name":"www","hostPort":65536}]`), invalid, accepts},
	}},
	{"pod-host-ip", "pods.md", `hostIP (string, optional) an IPv4 address to forward from. If omitted, all IPs will be used. Must be in dotted-quad notation, e.g. "203.0.113.23"`, []row{
		{"dotted quad", podID(`"ports":[{"name":"www","hostPort":8080,"hostIP":"203.0.113.23"}]`), valid, accepts},
		{"IPv6", podID(`"ports":[{"name":"www","hostPort":8080,"hostIP":"::1"}]`), invalid, accepts},
		{"not an address", podID(`"ports":[{"name":"www","hostPort":8080,"hostIP":"localhost"}]`), invalid, rejects},
	}},
}

// judge is our verdict on a manifest: invalid, warn or valid.
func judge(b []byte) (string, string) {
	m, err := parseAny(b)
	if err != nil {
		return invalid, err.Error()
	}
	if ws := warningsOf(m); len(ws) > 0 {
		return warn, ws[0].Error()
	}
	return valid, ""
}

func TestConformance(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range conformance {
		if ids[r.id] {
			t.Fatalf("rule id %s given twice", r.id)
		}
		ids[r.id] = true
		for _, rw := range r.rows {
			t.Run(r.id+"/"+rw.name, func(t *testing.T) {
				got, msg := judge([]byte(rw.manifest))
				if got != rw.want {
					t.Errorf("%s (%q): ours = %s %s, want %s\n%s", r.doc, r.quote, got, msg, rw.want, rw.manifest)
				}
			})
		}
	}
}

// TestConformanceReference runs the reference actool on every row.
func TestConformanceReference(t *testing.T) {
	testutil.Reference(t, "actool") // builds it, or skips with the reason
	dir := t.TempDir()
	for _, r := range conformance {
		for i, rw := range r.rows {
			t.Run(r.id+"/"+rw.name, func(t *testing.T) {
				p := filepath.Join(dir, fmt.Sprintf("%s-%d.json", r.id, i))
				if err := os.WriteFile(p, []byte(rw.manifest), 0o644); err != nil {
					t.Fatal(err)
				}
				v := testutil.ReferenceValidate(t, "manifest", p)
				got := rejects
				switch {
				case v.Panicked:
					got = panics
				case v.Valid:
					got = accepts
				}
				if got != rw.ref {
					t.Errorf("reference actool validate (%s %q) = %s (%s), table says %s", r.doc, rw.name, got, v, rw.ref)
				}
			})
		}
	}
}

// differs reports whether the reference's verdict is not ours.
func (rw row) differs() bool {
	return rw.ref == panics || (rw.ref == accepts) == (rw.want == invalid)
}

// TestConformanceDoc keeps the "Spec text" table of docs/conformance.md
// generated from the rows (-update rewrites it), and checks that every
// rule with a row where the reference differs from us is explained in
// "Differences from the reference actool", and every rule with a warning
// row in "Warnings stricter than the spec".
func TestConformanceDoc(t *testing.T) {
	path := filepath.Join(testutil.RepoRoot(t), "docs", "conformance.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- spec-table begin: generated by TestConformanceDoc -->\n", "<!-- spec-table end -->\n"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", path, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	var tb strings.Builder
	tb.WriteString("| rule | spec | sentence | neighbour | acikit | reference |\n|---|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	for _, r := range conformance {
		for k, rw := range r.rows {
			id, doc, quote := "", "", ""
			if k == 0 {
				id, doc, quote = "`"+r.id+"`", r.doc, cell(r.quote)
			}
			ours := map[string]string{valid: "accepts", warn: "accepts, **warning**", invalid: "rejects"}[rw.want]
			ref := rw.ref
			if rw.differs() {
				ref = "**" + ref + "**"
			}
			fmt.Fprintf(&tb, "| %s | %s | %s | %s | %s | %s |\n", id, doc, quote, cell(rw.name), ours, ref)
		}
	}
	want := append(append(append([]byte{}, doc[:i+len(begin)]...), tb.String()...), doc[j:]...)
	if !bytes.Equal(doc, want) {
		if testutil.Updating() {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Errorf("%s: the spec table is not the rows' (run go test ./schema -run TestConformanceDoc -update)", path)
		}
	}
	section := func(title string) string {
		s := string(want)
		k := strings.Index(s, "\n## "+title+"\n")
		if k < 0 {
			t.Fatalf("%s: no section %q", path, title)
		}
		s = s[k+len(title)+5:]
		if n := strings.Index(s, "\n## "); n >= 0 {
			s = s[:n]
		}
		return s
	}
	diffs, warns := section("Differences from the reference actool"), section("Warnings stricter than the spec")
	for _, r := range conformance {
		for _, rw := range r.rows {
			if rw.differs() && !strings.Contains(diffs, "`"+r.id+"`") {
				t.Errorf("rule %s (%s): the reference %s, we %s; explain it under \"Differences from the reference actool\"", r.id, rw.name, rw.ref, rw.want)
			}
			if rw.want == warn && !strings.Contains(warns, "`"+r.id+"`") {
				t.Errorf("rule %s (%s) warns; list it under \"Warnings stricter than the spec\"", r.id, rw.name)
			}
		}
	}
}
