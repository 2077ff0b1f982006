package cli

import (
	"context"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/adminclient"
	"github.com/flytedoctor/flytedoctor/collectors/flyteconfig"
	"github.com/flyteorg/flyte/flyteidl/gen/pb-go/flyteidl/service"
)

// defaultAdminOptions: tokens in os.UserConfigDir()/flytedoctor, flytectl's keyring entry read,
// the browser opened when there is one, login instructions on stderr.
func defaultAdminOptions(f *Factory, cfg *flyteconfig.Config) adminclient.Options {
	dir, err := adminclient.DefaultTokenCacheDir()
	if err != nil {
		dir = "" // no config dir (no $HOME): tokens live for this run only
	}
	return adminclient.Options{
		Config:        cfg.Admin,
		Getenv:        f.Getenv,
		TokenCacheDir: dir,
		Keyring:       adminclient.ReadKeyring(f.Getenv),
		OpenBrowser:   adminclient.OpenBrowser(f.Getenv),
		Prompt:        f.IO.ErrOut,
	}
}

// dialAdmin connects to the Flyte Admin of o.Config. Dial sends nothing, so its errors are
// about the configuration (endpoint, authType, CA file): usage errors; except that the run may
// be out of time already (--timeout 1ns), which is no fault of the input.
func dialAdmin(ctx context.Context, o adminclient.Options) (*AdminSession, error) {
	conn, err := dialConn(ctx, o)
	if err != nil {
		return nil, err
	}
	return &AdminSession{
		API:      service.NewAdminServiceClient(conn),
		Endpoint: o.Config.Endpoint,
		Close:    conn.Close,
		Explain:  conn.Explain,
	}, nil
}

func dialConn(ctx context.Context, o adminclient.Options) (*adminclient.Conn, error) {
	conn, err := adminclient.Dial(ctx, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, &usageError{err}
	}
	return conn, nil
}
