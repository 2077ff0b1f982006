// Package collection holds the collection rules (FD9xxx): evidence flytedoctor could not read,
// and why.
package collection
