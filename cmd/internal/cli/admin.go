package cli

import (
	"context"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// dialAdmin connects to the Flyte Admin of cfg. Dial sends nothing, so its errors are about
// the configuration (endpoint, authType, CA file): usage errors; except that the run may be
// out of time already (--timeout 1ns), which is no fault of the input.
func dialAdmin(ctx context.Context, cfg *flyteconfig.Config, userAgent string) (*AdminSession, error) {
	conn, err := adminclient.Dial(ctx, adminclient.Options{Config: cfg.Admin, UserAgent: userAgent})
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &usageError{err}
	}
	return &AdminSession{
		API:      service.NewAdminServiceClient(conn),
		Endpoint: cfg.Admin.Endpoint,
		Close:    conn.Close,
		Explain:  conn.Explain,
	}, nil
}
