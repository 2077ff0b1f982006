package s3stub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Spec is what a Server serves. Its JSON form is the demo's <scenario>.storage.json.
type Spec struct {
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one bucket, its objects and what is denied in it.
type Bucket struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	// Objects are the keys that exist. Content is generated from the key.
	Objects []Object `json:"objects,omitempty"`
	// Deny lists what the caller may not do, like IAM Deny statements; all else is allowed.
	Deny []Rule `json:"deny,omitempty"`
	// Encryption is the bucket's default encryption, for objects that name none (SSE-S3,
	// "AES256", when unset).
	Encryption *Encryption `json:"encryption,omitempty"`
}

// Encryption is server-side encryption as HEAD and GET report it.
type Encryption struct {
	SSE              string `json:"sse"` // "AES256" or "aws:kms"
	KMSKeyID         string `json:"kmsKeyId,omitempty"`
	BucketKeyEnabled bool   `json:"bucketKeyEnabled,omitempty"`
}

// Object is one stored object.
type Object struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified,omitzero"`
	// Encryption is the object's own, when it was written with other settings than the
	// bucket's default.
	Encryption *Encryption `json:"encryption,omitempty"`
	// Owner is the owner's canonical ID in listings with fetch-owner; the bucket owner's when empty.
	Owner string `json:"owner,omitempty"`
}

// BucketOwner is the canonical ID listings name as the owner of objects that name none.
const BucketOwner = "8f3c1e7a94b2d6051c9e4a7f3b2d8e6c1a5f9b0d7e3c2a4f6b8d0e1c3a5f7b9d"

// Rule denies actions on the keys a pattern matches.
type Rule struct {
	// Actions are IAM action names: s3:GetObject (GetObject, HeadObject), s3:PutObject,
	// s3:DeleteObject, s3:ListBucket (ListObjectsV2, HeadBucket), s3:GetBucketLocation; or "s3:*".
	Actions []string `json:"actions"`
	// Keys is an IAM wildcard pattern ('*' any run, '?' one character) on the object key, or for
	// s3:ListBucket on the prefix asked for (HeadBucket asks for ""). "*" matches everything.
	Keys string `json:"keys"`
	// Message replaces "Access Denied" in the error body.
	Message string `json:"message,omitempty"`
}

// Action names a Rule can deny.
const (
	ActionGetObject         = "s3:GetObject"
	ActionPutObject         = "s3:PutObject"
	ActionDeleteObject      = "s3:DeleteObject"
	ActionListBucket        = "s3:ListBucket"
	ActionGetBucketLocation = "s3:GetBucketLocation"
)

func knownAction(a string) bool {
	switch a {
	case ActionGetObject, ActionPutObject, ActionDeleteObject, ActionListBucket, ActionGetBucketLocation, "s3:*":
		return true
	}
	return false
}

// ParseSpec decodes a Spec strictly and validates it.
func ParseSpec(b []byte) (Spec, error) {
	var s Spec
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("parse storage spec: %w", err)
	}
	return s, s.Validate()
}

// Validate checks names, keys and rules.
func (s Spec) Validate() error {
	var errs []error
	buckets := map[string]bool{}
	for _, b := range s.Buckets {
		if b.Name == "" || strings.Contains(b.Name, "/") {
			errs = append(errs, fmt.Errorf("bucket name %q", b.Name))
		}
		if buckets[b.Name] {
			errs = append(errs, fmt.Errorf("bucket %s twice", b.Name))
		}
		buckets[b.Name] = true
		keys := map[string]bool{}
		for _, o := range b.Objects {
			if o.Key == "" || o.Size < 0 || keys[o.Key] {
				errs = append(errs, fmt.Errorf("bucket %s: object %q (size %d) empty, negative or twice", b.Name, o.Key, o.Size))
			}
			keys[o.Key] = true
		}
		for _, r := range b.Deny {
			if len(r.Actions) == 0 || r.Keys == "" {
				errs = append(errs, fmt.Errorf("bucket %s: rule %+v needs actions and keys", b.Name, r))
			}
			for _, a := range r.Actions {
				if !knownAction(a) {
					errs = append(errs, fmt.Errorf("bucket %s: unknown action %q", b.Name, a))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// denied returns the rule that denies action on key, if any.
func (b *Bucket) denied(action, key string) (Rule, bool) {
	for _, r := range b.Deny {
		if (slices.Contains(r.Actions, action) || slices.Contains(r.Actions, "s3:*")) && wildcard(r.Keys, key) {
			return r, true
		}
	}
	return Rule{}, false
}

// wildcard matches IAM-style patterns: '*' is any run of characters, '/' included; '?' is one.
func wildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
