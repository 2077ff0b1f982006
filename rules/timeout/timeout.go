package timeout

import (
	"fmt"
	"math"
	"time"
)

const causeExecutionTimeout = "execution-timeout"

const causeActiveDeadline = "active-deadline"

const causeFailureNodeTmo = "failure-node-timeout"

const causeSDKTimeout = "sdk-timeout"

func pyTimedelta(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("timedelta(hours=%d)", int(d/time.Hour))
	case d%time.Minute == 0:
		return fmt.Sprintf("timedelta(minutes=%d)", int(d/time.Minute))
	}
	return fmt.Sprintf("timedelta(seconds=%d)", int(math.Ceil(d.Seconds())))
}
