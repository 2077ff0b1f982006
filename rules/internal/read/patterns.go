package read

import ()

const CauseNodeShutdown = "node-shutdown"

const CausePreempted = "preempted"

const CauseNodeLost = "node-lost"

const CauseNodeDrained = "node-drained"

const CauseNodeAffinity = "node-affinity"
