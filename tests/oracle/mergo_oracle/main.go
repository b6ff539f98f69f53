// Command mergo-oracle is podeval's differential oracle for FlytePropeller's
// pod-template merge.
//
// FlytePropeller v1 merges a task's pod spec (src) onto the runtime
// PodTemplate's spec (dst) with
//
//	mergo.Merge(dst, src, mergo.WithOverride, mergo.WithAppendSlice)
//
// and a task container onto the template's default container the same way.
// This program runs exactly that call, with the real mergo library, on Go
// structs that mirror the subset of k8s.io/api core/v1 that podeval handles.
// The mirror keeps, field by field, the Go kind (plain value, pointer, slice,
// map, struct, embedded struct) and the JSON tag (including omitempty) of
// k8s.io/api core/v1, because mergo's behaviour is decided by the kind and
// encoding/json's output by the tag. Fields outside the subset are absent on
// purpose; sending one is an error (see DisallowUnknownFields below), so a
// generator cannot silently send data the oracle drops.
//
// Mode "template" runs FlytePropeller's MergeBasePodSpecOntoTemplate instead
// (template.go): dst is the runtime template's pod spec, src the task's, and
// the case also names the primary container ("primary") and the primary init
// container ("primaryInit").
//
// Input on stdin, either one case
//
//	{"mode": "pod"|"container", "dst": {...}, "src": {...}}
//	{"mode": "template", "dst": {...}, "src": {...}, "primary": "main", "primaryInit": ""}
//
// or a JSON array of such cases. Output on stdout: the merged dst as JSON
// (encoding/json, so omitempty drops zero plain fields, nil pointers and
// empty slices/maps, but keeps non-nil pointers to zero values), or for an
// array input an array of results in the same order. Any error (bad JSON,
// unknown field, unknown mode, mergo error) aborts with a message on stderr
// naming the case, and exit status 2.
//
// Build offline in GOPATH mode against Debian's packages; see ../build.sh.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/imdario/mergo"
)

// ---------------------------------------------------------------------------
// Mirror of k8s.io/api/core/v1 (subset). Named string types of k8s
// (RestartPolicy, DNSPolicy, Protocol, PullPolicy, TaintEffect, ...) are
// plain strings here: same reflect.Kind, so mergo treats them identically.
// ---------------------------------------------------------------------------

// Quantity stands in for resource.Quantity as a string.
//
// The real resource.Quantity is a struct whose value lives in unexported
// fields (only its embedded Format string is exported), so mergo can never
// override a Quantity value in place. Inside a map (ResourceList is
// map[ResourceName]Quantity) mergo replaces the map entry whole with src's
// entry, which is exactly what a string models.
//
// For *Quantity (EmptyDirVolumeSource.SizeLimit) the string model is NOT
// equivalent in general: when both dst and src are non-nil, mergo recurses
// into the pointee and can only copy src's Format, so dst's value survives
// (checked against real apimachinery: "1Gi" <- "2Gi" gives "1Gi"), whereas
// a *string would give "2Gi". Here that case cannot arise: SizeLimit only
// occurs inside Volumes, a slice, and with WithAppendSlice mergo appends
// slices without ever merging their elements. Keep it that way: do not
// merge two EmptyDirVolumeSource values with this oracle.
type Quantity = string

// ResourceList mirrors core/v1 ResourceList (map[ResourceName]resource.Quantity).
type ResourceList map[string]Quantity

type PodSpec struct {
	Volumes                       []Volume               `json:"volumes,omitempty"`
	InitContainers                []Container            `json:"initContainers,omitempty"`
	Containers                    []Container            `json:"containers"`
	RestartPolicy                 string                 `json:"restartPolicy,omitempty"`
	TerminationGracePeriodSeconds *int64                 `json:"terminationGracePeriodSeconds,omitempty"`
	ActiveDeadlineSeconds         *int64                 `json:"activeDeadlineSeconds,omitempty"`
	DNSPolicy                     string                 `json:"dnsPolicy,omitempty"`
	NodeSelector                  map[string]string      `json:"nodeSelector,omitempty"`
	ServiceAccountName            string                 `json:"serviceAccountName,omitempty"`
	AutomountServiceAccountToken  *bool                  `json:"automountServiceAccountToken,omitempty"`
	NodeName                      string                 `json:"nodeName,omitempty"`
	HostNetwork                   bool                   `json:"hostNetwork,omitempty"`
	HostPID                       bool                   `json:"hostPID,omitempty"`
	HostIPC                       bool                   `json:"hostIPC,omitempty"`
	ShareProcessNamespace         *bool                  `json:"shareProcessNamespace,omitempty"`
	SecurityContext               *PodSecurityContext    `json:"securityContext,omitempty"`
	ImagePullSecrets              []LocalObjectReference `json:"imagePullSecrets,omitempty"`
	Hostname                      string                 `json:"hostname,omitempty"`
	Subdomain                     string                 `json:"subdomain,omitempty"`
	Affinity                      *Affinity              `json:"affinity,omitempty"`
	SchedulerName                 string                 `json:"schedulerName,omitempty"`
	Tolerations                   []Toleration           `json:"tolerations,omitempty"`
	PriorityClassName             string                 `json:"priorityClassName,omitempty"`
	Priority                      *int32                 `json:"priority,omitempty"`
	DNSConfig                     *PodDNSConfig          `json:"dnsConfig,omitempty"`
	RuntimeClassName              *string                `json:"runtimeClassName,omitempty"`
	EnableServiceLinks            *bool                  `json:"enableServiceLinks,omitempty"`
}

// Volume embeds VolumeSource exactly like core/v1 (json:"" inlines it).
type Volume struct {
	Name         string `json:"name"`
	VolumeSource `json:""`
}

type VolumeSource struct {
	EmptyDir  *EmptyDirVolumeSource  `json:"emptyDir,omitempty"`
	ConfigMap *ConfigMapVolumeSource `json:"configMap,omitempty"`
}

type EmptyDirVolumeSource struct {
	Medium    string    `json:"medium,omitempty"`
	SizeLimit *Quantity `json:"sizeLimit,omitempty"`
}

// ConfigMapVolumeSource embeds LocalObjectReference exactly like core/v1.
type ConfigMapVolumeSource struct {
	LocalObjectReference `json:""`
}

type LocalObjectReference struct {
	Name string `json:"name,omitempty"`
}

type PodSecurityContext struct {
	RunAsUser          *int64  `json:"runAsUser,omitempty"`
	RunAsGroup         *int64  `json:"runAsGroup,omitempty"`
	RunAsNonRoot       *bool   `json:"runAsNonRoot,omitempty"`
	SupplementalGroups []int64 `json:"supplementalGroups,omitempty"`
	FSGroup            *int64  `json:"fsGroup,omitempty"`
}

type Affinity struct {
	NodeAffinity *NodeAffinity `json:"nodeAffinity,omitempty"`
}

type NodeAffinity struct {
	RequiredDuringSchedulingIgnoredDuringExecution *NodeSelector `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

type NodeSelector struct {
	NodeSelectorTerms []NodeSelectorTerm `json:"nodeSelectorTerms"`
}

type NodeSelectorTerm struct {
	MatchExpressions []NodeSelectorRequirement `json:"matchExpressions,omitempty"`
}

type NodeSelectorRequirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

type Toleration struct {
	Key               string `json:"key,omitempty"`
	Operator          string `json:"operator,omitempty"`
	Value             string `json:"value,omitempty"`
	Effect            string `json:"effect,omitempty"`
	TolerationSeconds *int64 `json:"tolerationSeconds,omitempty"`
}

type PodDNSConfig struct {
	Nameservers []string             `json:"nameservers,omitempty"`
	Searches    []string             `json:"searches,omitempty"`
	Options     []PodDNSConfigOption `json:"options,omitempty"`
}

type PodDNSConfigOption struct {
	Name  string  `json:"name,omitempty"`
	Value *string `json:"value,omitempty"`
}

type Container struct {
	Name                     string               `json:"name"`
	Image                    string               `json:"image,omitempty"`
	Command                  []string             `json:"command,omitempty"`
	Args                     []string             `json:"args,omitempty"`
	WorkingDir               string               `json:"workingDir,omitempty"`
	Ports                    []ContainerPort      `json:"ports,omitempty"`
	Env                      []EnvVar             `json:"env,omitempty"`
	Resources                ResourceRequirements `json:"resources,omitempty"` // a struct: omitempty never omits it
	VolumeMounts             []VolumeMount        `json:"volumeMounts,omitempty"`
	TerminationMessagePath   string               `json:"terminationMessagePath,omitempty"`
	TerminationMessagePolicy string               `json:"terminationMessagePolicy,omitempty"`
	RestartPolicy            *string              `json:"restartPolicy,omitempty"`
	LivenessProbe            *Probe               `json:"livenessProbe,omitempty"`
	ReadinessProbe           *Probe               `json:"readinessProbe,omitempty"`
	StartupProbe             *Probe               `json:"startupProbe,omitempty"`
	ImagePullPolicy          string               `json:"imagePullPolicy,omitempty"`
	SecurityContext          *SecurityContext     `json:"securityContext,omitempty"`
	Stdin                    bool                 `json:"stdin,omitempty"`
	TTY                      bool                 `json:"tty,omitempty"`
}

// Probe embeds ProbeHandler exactly like core/v1 (json:",inline" there).
type Probe struct {
	ProbeHandler                  `json:""`
	InitialDelaySeconds           int32  `json:"initialDelaySeconds,omitempty"`
	TimeoutSeconds                int32  `json:"timeoutSeconds,omitempty"`
	PeriodSeconds                 int32  `json:"periodSeconds,omitempty"`
	SuccessThreshold              int32  `json:"successThreshold,omitempty"`
	FailureThreshold              int32  `json:"failureThreshold,omitempty"`
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

type ProbeHandler struct {
	Exec *ExecAction `json:"exec,omitempty"`
	GRPC *GRPCAction `json:"grpc,omitempty"`
}

type ExecAction struct {
	Command []string `json:"command,omitempty"`
}

type GRPCAction struct {
	Port    int32   `json:"port"`
	Service *string `json:"service"`
}

type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type ResourceRequirements struct {
	Limits   ResourceList `json:"limits,omitempty"`
	Requests ResourceList `json:"requests,omitempty"`
}

type VolumeMount struct {
	Name      string `json:"name"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
	MountPath string `json:"mountPath"`
}

type SecurityContext struct {
	Capabilities             *Capabilities `json:"capabilities,omitempty"`
	Privileged               *bool         `json:"privileged,omitempty"`
	RunAsUser                *int64        `json:"runAsUser,omitempty"`
	RunAsGroup               *int64        `json:"runAsGroup,omitempty"`
	RunAsNonRoot             *bool         `json:"runAsNonRoot,omitempty"`
	ReadOnlyRootFilesystem   *bool         `json:"readOnlyRootFilesystem,omitempty"`
	AllowPrivilegeEscalation *bool         `json:"allowPrivilegeEscalation,omitempty"`
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

type envelope struct {
	Mode *string         `json:"mode"`
	Dst  json.RawMessage `json:"dst"`
	Src  json.RawMessage `json:"src"`
	// mode "template" only: the primary (init) container's name
	Primary     *string `json:"primary"`
	PrimaryInit *string `json:"primaryInit"`
	// mode "template" only, not Flyte: copy every template container before use (nothing shared)
	Isolate bool `json:"isolate"`
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data.
func decodeStrict(data []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

func requireObject(name string, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return fmt.Errorf("missing %q", name)
	}
	if raw[0] != '{' {
		return fmt.Errorf("%q must be a JSON object", name)
	}
	return nil
}

// mergeInto mirrors FlytePropeller: dst and src are both pointers to freshly
// decoded values, merged with WithOverride and WithAppendSlice.
func mergeInto(dst, src interface{}, dstRaw, srcRaw json.RawMessage) (interface{}, error) {
	if err := decodeStrict(dstRaw, dst); err != nil {
		return nil, fmt.Errorf("dst: %w", err)
	}
	if err := decodeStrict(srcRaw, src); err != nil {
		return nil, fmt.Errorf("src: %w", err)
	}
	if err := mergo.Merge(dst, src, mergo.WithOverride, mergo.WithAppendSlice); err != nil {
		return nil, fmt.Errorf("mergo.Merge: %w", err)
	}
	return dst, nil
}

func runCase(raw json.RawMessage) (interface{}, error) {
	var env envelope
	if err := decodeStrict(raw, &env); err != nil {
		return nil, fmt.Errorf("case envelope: %w", err)
	}
	if env.Mode == nil {
		return nil, errors.New(`missing "mode"`)
	}
	if err := requireObject("dst", env.Dst); err != nil {
		return nil, err
	}
	if err := requireObject("src", env.Src); err != nil {
		return nil, err
	}
	if *env.Mode != "template" && (env.Primary != nil || env.PrimaryInit != nil || env.Isolate) {
		return nil, fmt.Errorf(`"primary", "primaryInit" and "isolate" belong to mode "template" only`)
	}
	switch *env.Mode {
	case "template":
		return runTemplate(env)
	case "pod":
		return mergeInto(&PodSpec{}, &PodSpec{}, env.Dst, env.Src)
	case "container":
		return mergeInto(&Container{}, &Container{}, env.Dst, env.Src)
	default:
		return nil, fmt.Errorf(`unknown mode %q (want "pod", "container" or "template")`, *env.Mode)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "mergo-oracle: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	input, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fail("reading stdin: %v", err)
	}
	input = bytes.TrimSpace(input)
	if len(input) == 0 {
		fail("empty input: expected a case object or an array of cases")
	}

	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)

	if input[0] == '[' {
		var cases []json.RawMessage
		if err := decodeStrict(input, &cases); err != nil {
			fail("reading case list: %v", err)
		}
		results := make([]interface{}, len(cases))
		for i, c := range cases {
			r, err := runCase(c)
			if err != nil {
				fail("case %d: %v", i, err)
			}
			results[i] = r
		}
		if err := enc.Encode(results); err != nil {
			fail("encoding results: %v", err)
		}
	} else {
		r, err := runCase(input)
		if err != nil {
			fail("case 0: %v", err)
		}
		if err := enc.Encode(r); err != nil {
			fail("encoding result: %v", err)
		}
	}
	if err := out.Flush(); err != nil {
		fail("writing stdout: %v", err)
	}
}
