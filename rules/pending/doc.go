// Package pending holds the resource-pending rules (FD2xxx): quota, limit ranges, unbound
// volumes, taints, selectors, affinity and insufficient resources, read from the scheduler's
// message and the nodes.
package pending
