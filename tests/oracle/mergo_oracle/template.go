package main

// Mode "template": FlytePropeller's MergeBasePodSpecOntoTemplate
// (flyteplugins/go/tasks/pluginmachinery/flytek8s/pod_helper.go at 89cf9cc),
// written for podeval from reading that function, on the mirror types above.
//
// What this mode exists to reproduce is not only which template containers
// shape which task container, but Go's memory: what Flyte copies deeply,
// what it copies shallowly, and what it shares.
//
//   - The PodTemplate comes out of the PodTemplateStore as a DeepCopy
//     (LoadOrDefault), so every slice has cap == len; runTemplate does the
//     same to the decoded template before merging.
//   - The template's `default` container is DeepCopied for every task
//     container: nothing is shared through it.
//   - The template's `primary` container is DeepCopied when it is the first
//     shape, but merged with mergo into the copied `default` container
//     otherwise; mergo then sets every nil pointer of dst to src's pointer,
//     so the merged container shares those pointees with the template.
//   - A template container matched by exact name is taken as a shallow copy
//     of the struct (the range variable) when it is the first shape: its
//     pointers and maps are the template's own. Otherwise it is merged with
//     mergo, sharing pointees as above.
//   - The task container is then merged into that shape: mergo writes into
//     the shared pointees and maps in place (both pointers non-nil: it
//     recurses into the pointee; a non-nil map: it sets the entries).
//
// So when one template container feeds two task containers (the template's
// `primary` container shapes the primary container by role and a sidecar
// literally named `primary` by exact name), what is merged for one leaks into
// the other, in either direction.
//
// The module is built with Go >= 1.22 semantics (a fresh range variable per
// iteration), as flyteplugins' go.mod (go 1.26) is.

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/imdario/mergo"
)

const (
	defaultTemplateName     = "default"
	defaultInitTemplateName = "default-init"
	primaryTemplateName     = "primary"
	primaryInitTemplateName = "primary-init"
)

func mergoMerge(dst, src interface{}) error {
	return mergo.Merge(dst, src, mergo.WithOverride, mergo.WithAppendSlice)
}

// deepCopy returns a copy of v that shares no pointer, map or slice with it,
// like the generated DeepCopy of k8s.io/api: nil stays nil, an empty non-nil
// map or slice stays empty and non-nil, and a copied slice has cap == len.
func deepCopy(v reflect.Value) reflect.Value {
	out := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Ptr:
		if !v.IsNil() {
			p := reflect.New(v.Type().Elem())
			p.Elem().Set(deepCopy(v.Elem()))
			out.Set(p)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			out.Field(i).Set(deepCopy(v.Field(i)))
		}
	case reflect.Slice:
		if !v.IsNil() {
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			for i := 0; i < v.Len(); i++ {
				s.Index(i).Set(deepCopy(v.Index(i)))
			}
			out.Set(s)
		}
	case reflect.Map:
		if !v.IsNil() {
			m := reflect.MakeMapWithSize(v.Type(), v.Len())
			iter := v.MapRange()
			for iter.Next() {
				m.SetMapIndex(iter.Key(), deepCopy(iter.Value()))
			}
			out.Set(m)
		}
	default:
		out.Set(v)
	}
	return out
}

func copyContainer(c *Container) *Container {
	copied := deepCopy(reflect.ValueOf(*c)).Interface().(Container)
	return &copied
}

// matchContainers is the container loop of MergeBasePodSpecOntoTemplate, for
// containers (default/primary) or init containers (default-init/primary-init).
//
// isolate (not Flyte: the counterfactual the tests compare with) copies every
// template container before use, so that nothing is shared.
func matchContainers(templates, tasks []Container, defaultName, primaryName, primaryTask string, isolate bool) ([]Container, error) {
	var defaultTpl, primaryTpl *Container
	for i := range templates {
		// pointers into the template's own slice, as Flyte takes them; the last one of a name wins
		if templates[i].Name == defaultName {
			defaultTpl = &templates[i]
		} else if templates[i].Name == primaryName {
			primaryTpl = &templates[i]
		}
	}
	var out []Container
	for _, task := range tasks {
		var shape *Container
		if defaultTpl != nil {
			shape = copyContainer(defaultTpl)
		}
		if task.Name == primaryTask && primaryTpl != nil {
			if shape == nil {
				shape = copyContainer(primaryTpl)
			} else if isolate {
				if err := mergoMerge(shape, copyContainer(primaryTpl)); err != nil {
					return nil, err
				}
			} else if err := mergoMerge(shape, primaryTpl); err != nil {
				return nil, err
			}
		}
		for j := range templates {
			candidate := templates[j] // Flyte's range variable: a shallow copy, fresh each iteration (Go >= 1.22)
			if isolate {
				candidate = *copyContainer(&templates[j])
			}
			if task.Name == primaryTask || task.Name == defaultName || candidate.Name != task.Name {
				continue
			}
			if shape == nil {
				shape = &candidate
			} else if err := mergoMerge(shape, candidate); err != nil {
				return nil, err
			}
		}
		if shape == nil {
			shape = copyContainer(&task)
		} else if err := mergoMerge(shape, task); err != nil {
			return nil, err
		}
		out = append(out, *shape)
	}
	return out, nil
}

// mergeBasePodSpecOntoTemplate: the pod-level mergo of base onto a deep copy
// of the template, then the containers and init containers matched.
func mergeBasePodSpecOntoTemplate(tmpl, base *PodSpec, primary, primaryInit string, isolate bool) (*PodSpec, error) {
	if tmpl == nil || base == nil {
		return nil, errors.New("neither the templatePodSpec or the basePodSpec can be nil")
	}
	merged := deepCopy(reflect.ValueOf(*tmpl)).Interface().(PodSpec)
	if err := mergoMerge(&merged, base); err != nil {
		return nil, err
	}
	containers, err := matchContainers(tmpl.Containers, base.Containers, defaultTemplateName, primaryTemplateName, primary,
		isolate)
	if err != nil {
		return nil, err
	}
	merged.Containers = containers
	initContainers, err := matchContainers(tmpl.InitContainers, base.InitContainers, defaultInitTemplateName,
		primaryInitTemplateName, primaryInit, isolate)
	if err != nil {
		return nil, err
	}
	merged.InitContainers = initContainers
	return &merged, nil
}

// runTemplate decodes a template case. The template is deep-copied first, as
// PodTemplateStore.LoadOrDefault hands FlytePropeller a DeepCopy (so no slice
// of it has spare capacity that two appends could share).
func runTemplate(env envelope) (interface{}, error) {
	var decoded, base PodSpec
	if err := decodeStrict(env.Dst, &decoded); err != nil {
		return nil, fmt.Errorf("dst: %w", err)
	}
	if err := decodeStrict(env.Src, &base); err != nil {
		return nil, fmt.Errorf("src: %w", err)
	}
	tmpl := deepCopy(reflect.ValueOf(decoded)).Interface().(PodSpec)
	primary, primaryInit := "", ""
	if env.Primary != nil {
		primary = *env.Primary
	}
	if env.PrimaryInit != nil {
		primaryInit = *env.PrimaryInit
	}
	return mergeBasePodSpecOntoTemplate(&tmpl, &base, primary, primaryInit, env.Isolate)
}
