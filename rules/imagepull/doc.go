// Package imagepull holds the image-pull rules (FD1xxx): the kubelet could not pull a task's
// image.
package imagepull
