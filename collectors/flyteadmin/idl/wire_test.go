package idl_test

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/admin"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/core"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/event"
	"github.com/flytedoctor/flytedoctor/collectors/flyteadmin/idl/gen/service"
)

// field is one expected proto field: its exact proto name, number and,
// for message/enum fields, the full name of the type it refers to.
type field struct {
	name   string
	number protowire.Number
	typ    string // full name of message/enum type; "" for scalars; "bytes" for opaque bytes
	oneof  string // containing (real) oneof, if any
}

func TestMessageFields(t *testing.T) {
	const (
		ts   = "google.protobuf.Timestamp"
		dur  = "google.protobuf.Duration"
		strt = "google.protobuf.Struct"
	)
	tests := []struct {
		msg      proto.Message
		fullName string
		fields   []field
	}{
		{&core.Identifier{}, "flyteidl.core.Identifier", []field{
			{"resource_type", 1, "flyteidl.core.ResourceType", ""}, {"project", 2, "", ""}, {"domain", 3, "", ""},
			{"name", 4, "", ""}, {"version", 5, "", ""}, {"org", 6, "", ""},
		}},
		{&core.WorkflowExecutionIdentifier{}, "flyteidl.core.WorkflowExecutionIdentifier", []field{
			{"project", 1, "", ""}, {"domain", 2, "", ""}, {"name", 4, "", ""}, {"org", 5, "", ""},
		}},
		{&core.NodeExecutionIdentifier{}, "flyteidl.core.NodeExecutionIdentifier", []field{
			{"node_id", 1, "", ""}, {"execution_id", 2, "flyteidl.core.WorkflowExecutionIdentifier", ""},
		}},
		{&core.TaskExecutionIdentifier{}, "flyteidl.core.TaskExecutionIdentifier", []field{
			{"task_id", 1, "flyteidl.core.Identifier", ""},
			{"node_execution_id", 2, "flyteidl.core.NodeExecutionIdentifier", ""},
			{"retry_attempt", 3, "", ""},
		}},
		{&core.ExecutionError{}, "flyteidl.core.ExecutionError", []field{
			{"code", 1, "", ""}, {"message", 2, "", ""}, {"error_uri", 3, "", ""},
			{"kind", 4, "flyteidl.core.ExecutionError.ErrorKind", ""}, {"timestamp", 5, ts, ""}, {"worker", 6, "", ""},
		}},
		{&core.TaskLog{}, "flyteidl.core.TaskLog", []field{
			{"uri", 1, "", ""}, {"name", 2, "", ""}, {"message_format", 3, "flyteidl.core.TaskLog.MessageFormat", ""},
			{"ttl", 4, dur, ""}, {"ShowWhilePending", 5, "", ""}, {"HideOnceFinished", 6, "", ""},
		}},
		{&core.LogContext{}, "flyteidl.core.LogContext", []field{
			{"pods", 1, "flyteidl.core.PodLogContext", ""}, {"primary_pod_name", 2, "", ""},
		}},
		{&core.PodLogContext{}, "flyteidl.core.PodLogContext", []field{
			{"namespace", 1, "", ""}, {"pod_name", 2, "", ""}, {"containers", 3, "flyteidl.core.ContainerContext", ""},
			{"primary_container_name", 4, "", ""}, {"init_containers", 5, "flyteidl.core.ContainerContext", ""},
		}},
		{&core.ContainerContext{}, "flyteidl.core.ContainerContext", []field{
			{"container_name", 1, "", ""}, {"process", 2, "flyteidl.core.ContainerContext.ProcessContext", ""},
		}},
		{&core.QualityOfService{}, "flyteidl.core.QualityOfService", []field{
			{"tier", 1, "flyteidl.core.QualityOfService.Tier", "designation"},
			{"spec", 2, "flyteidl.core.QualityOfServiceSpec", "designation"},
		}},
		{&core.CatalogMetadata{}, "flyteidl.core.CatalogMetadata", []field{
			{"dataset_id", 1, "flyteidl.core.Identifier", ""},
			{"artifact_tag", 2, "flyteidl.core.CatalogArtifactTag", ""},
			{"source_task_execution", 3, "flyteidl.core.TaskExecutionIdentifier", "source_execution"},
		}},
		{&core.Identity{}, "flyteidl.core.Identity", []field{
			{"iam_role", 1, "", ""}, {"k8s_service_account", 2, "", ""}, {"oauth2_client", 3, "bytes", ""},
			{"execution_identity", 4, "", ""},
		}},
		{&core.Secret{}, "flyteidl.core.Secret", []field{
			{"group", 1, "", ""}, {"group_version", 2, "", ""}, {"key", 3, "", ""},
			{"mount_requirement", 4, "flyteidl.core.Secret.MountType", ""}, {"env_var", 5, "", ""},
		}},
		{&core.Literal{}, "flyteidl.core.Literal", []field{
			{"scalar", 1, "flyteidl.core.Scalar", "value"}, {"collection", 2, "flyteidl.core.LiteralCollection", "value"},
			{"map", 3, "flyteidl.core.LiteralMap", "value"}, {"hash", 4, "", ""},
			{"offloaded_metadata", 8, "flyteidl.core.LiteralOffloadedMetadata", "value"},
		}},
		{&core.Scalar{}, "flyteidl.core.Scalar", []field{
			{"primitive", 1, "flyteidl.core.Primitive", "value"}, {"blob", 2, "flyteidl.core.Blob", "value"},
			{"generic", 7, strt, "value"}, {"structured_dataset", 8, "flyteidl.core.StructuredDataset", "value"},
			{"union", 9, "bytes", "value"},
		}},
		{&core.Blob{}, "flyteidl.core.Blob", []field{
			{"metadata", 1, "flyteidl.core.BlobMetadata", ""}, {"uri", 3, "", ""},
		}},
		{&event.TaskExecutionMetadata{}, "flyteidl.event.TaskExecutionMetadata", []field{
			{"generated_name", 1, "", ""}, {"external_resources", 2, "flyteidl.event.ExternalResourceInfo", ""},
			{"resource_pool_info", 3, "flyteidl.event.ResourcePoolInfo", ""}, {"plugin_identifier", 4, "", ""},
			{"instance_class", 16, "flyteidl.event.TaskExecutionMetadata.InstanceClass", ""},
		}},
		{&event.ExternalResourceInfo{}, "flyteidl.event.ExternalResourceInfo", []field{
			{"external_id", 1, "", ""}, {"index", 2, "", ""}, {"retry_attempt", 3, "", ""},
			{"phase", 4, "flyteidl.core.TaskExecution.Phase", ""}, {"cache_status", 5, "flyteidl.core.CatalogCacheStatus", ""},
			{"logs", 6, "flyteidl.core.TaskLog", ""},
			{"workflow_node_metadata", 7, "flyteidl.event.WorkflowNodeMetadata", "target_metadata"},
			{"custom_info", 8, strt, ""}, {"log_context", 9, "flyteidl.core.LogContext", ""},
		}},
		{&event.WorkflowNodeMetadata{}, "flyteidl.event.WorkflowNodeMetadata", []field{
			{"execution_id", 1, "flyteidl.core.WorkflowExecutionIdentifier", ""},
		}},
		{&admin.ResourceListRequest{}, "flyteidl.admin.ResourceListRequest", []field{
			{"id", 1, "flyteidl.admin.NamedEntityIdentifier", ""}, {"limit", 2, "", ""}, {"token", 3, "", ""},
			{"filters", 4, "", ""}, {"sort_by", 5, "flyteidl.admin.Sort", ""},
		}},
		{&admin.Sort{}, "flyteidl.admin.Sort", []field{
			{"key", 1, "", ""}, {"direction", 2, "flyteidl.admin.Sort.Direction", ""},
		}},
		{&admin.Execution{}, "flyteidl.admin.Execution", []field{
			{"id", 1, "flyteidl.core.WorkflowExecutionIdentifier", ""}, {"spec", 2, "flyteidl.admin.ExecutionSpec", ""},
			{"closure", 3, "flyteidl.admin.ExecutionClosure", ""},
		}},
		{&admin.ExecutionClosure{}, "flyteidl.admin.ExecutionClosure", []field{
			{"outputs", 1, "flyteidl.admin.LiteralMapBlob", "output_result"},
			{"error", 2, "flyteidl.core.ExecutionError", "output_result"},
			{"computed_inputs", 3, "flyteidl.core.LiteralMap", ""},
			{"phase", 4, "flyteidl.core.WorkflowExecution.Phase", ""},
			{"started_at", 5, ts, ""}, {"duration", 6, dur, ""}, {"created_at", 7, ts, ""}, {"updated_at", 8, ts, ""},
			{"notifications", 9, "bytes", ""},
			{"abort_cause", 10, "", "output_result"},
			{"workflow_id", 11, "flyteidl.core.Identifier", ""},
			{"abort_metadata", 12, "flyteidl.admin.AbortMetadata", "output_result"},
			{"output_data", 13, "flyteidl.core.LiteralMap", "output_result"},
			{"state_change_details", 14, "flyteidl.admin.ExecutionStateChangeDetails", ""},
		}},
		{&admin.ExecutionSpec{}, "flyteidl.admin.ExecutionSpec", []field{
			{"launch_plan", 1, "flyteidl.core.Identifier", ""}, {"metadata", 3, "flyteidl.admin.ExecutionMetadata", ""},
			{"notifications", 5, "flyteidl.admin.NotificationList", "notification_overrides"},
			{"disable_all", 6, "", "notification_overrides"},
			{"labels", 7, "flyteidl.admin.Labels", ""}, {"annotations", 8, "flyteidl.admin.Annotations", ""},
			{"security_context", 10, "flyteidl.core.SecurityContext", ""}, {"auth_role", 16, "flyteidl.admin.AuthRole", ""},
			{"quality_of_service", 17, "flyteidl.core.QualityOfService", ""}, {"max_parallelism", 18, "", ""},
			{"raw_output_data_config", 19, "flyteidl.admin.RawOutputDataConfig", ""},
			{"cluster_assignment", 20, "flyteidl.admin.ClusterAssignment", ""},
			{"interruptible", 21, "google.protobuf.BoolValue", ""}, {"overwrite_cache", 22, "", ""},
			{"envs", 23, "flyteidl.admin.Envs", ""}, {"tags", 24, "", ""},
			{"execution_cluster_label", 25, "flyteidl.admin.ExecutionClusterLabel", ""},
		}},
		{&admin.ExecutionMetadata{}, "flyteidl.admin.ExecutionMetadata", []field{
			{"mode", 1, "flyteidl.admin.ExecutionMetadata.ExecutionMode", ""}, {"principal", 2, "", ""},
			{"nesting", 3, "", ""}, {"scheduled_at", 4, ts, ""},
			{"parent_node_execution", 5, "flyteidl.core.NodeExecutionIdentifier", ""},
			{"reference_execution", 16, "flyteidl.core.WorkflowExecutionIdentifier", ""},
			{"system_metadata", 17, "flyteidl.admin.SystemMetadata", ""},
		}},
		{&admin.SystemMetadata{}, "flyteidl.admin.SystemMetadata", []field{
			{"execution_cluster", 1, "", ""}, {"namespace", 2, "", ""},
		}},
		{&admin.WorkflowExecutionGetDataResponse{}, "flyteidl.admin.WorkflowExecutionGetDataResponse", []field{
			{"outputs", 1, "flyteidl.admin.UrlBlob", ""}, {"inputs", 2, "flyteidl.admin.UrlBlob", ""},
			{"full_inputs", 3, "flyteidl.core.LiteralMap", ""}, {"full_outputs", 4, "flyteidl.core.LiteralMap", ""},
		}},
		{&admin.NodeExecutionListRequest{}, "flyteidl.admin.NodeExecutionListRequest", []field{
			{"workflow_execution_id", 1, "flyteidl.core.WorkflowExecutionIdentifier", ""}, {"limit", 2, "", ""},
			{"token", 3, "", ""}, {"filters", 4, "", ""}, {"sort_by", 5, "flyteidl.admin.Sort", ""},
			{"unique_parent_id", 6, "", ""},
		}},
		{&admin.NodeExecution{}, "flyteidl.admin.NodeExecution", []field{
			{"id", 1, "flyteidl.core.NodeExecutionIdentifier", ""}, {"input_uri", 2, "", ""},
			{"closure", 3, "flyteidl.admin.NodeExecutionClosure", ""},
			{"metadata", 4, "flyteidl.admin.NodeExecutionMetaData", ""},
		}},
		{&admin.NodeExecutionClosure{}, "flyteidl.admin.NodeExecutionClosure", []field{
			{"output_uri", 1, "", "output_result"}, {"error", 2, "flyteidl.core.ExecutionError", "output_result"},
			{"phase", 3, "flyteidl.core.NodeExecution.Phase", ""},
			{"started_at", 4, ts, ""}, {"duration", 5, dur, ""}, {"created_at", 6, ts, ""}, {"updated_at", 7, ts, ""},
			{"workflow_node_metadata", 8, "flyteidl.admin.WorkflowNodeMetadata", "target_metadata"},
			{"task_node_metadata", 9, "flyteidl.admin.TaskNodeMetadata", "target_metadata"},
			{"output_data", 10, "flyteidl.core.LiteralMap", "output_result"},
			{"deck_uri", 11, "", ""}, {"dynamic_job_spec_uri", 12, "", ""},
		}},
		{&admin.NodeExecutionMetaData{}, "flyteidl.admin.NodeExecutionMetaData", []field{
			{"retry_group", 1, "", ""}, {"is_parent_node", 2, "", ""}, {"spec_node_id", 3, "", ""},
			{"is_dynamic", 4, "", ""}, {"is_array", 5, "", ""}, {"is_eager", 6, "", ""},
		}},
		{&admin.WorkflowNodeMetadata{}, "flyteidl.admin.WorkflowNodeMetadata", []field{
			{"executionId", 1, "flyteidl.core.WorkflowExecutionIdentifier", ""},
		}},
		{&admin.TaskNodeMetadata{}, "flyteidl.admin.TaskNodeMetadata", []field{
			{"cache_status", 1, "flyteidl.core.CatalogCacheStatus", ""},
			{"catalog_key", 2, "flyteidl.core.CatalogMetadata", ""}, {"checkpoint_uri", 4, "", ""},
		}},
		{&admin.DynamicWorkflowNodeMetadata{}, "flyteidl.admin.DynamicWorkflowNodeMetadata", []field{
			{"id", 1, "flyteidl.core.Identifier", ""}, {"compiled_workflow", 2, "bytes", ""},
			{"dynamic_job_spec_uri", 3, "", ""},
		}},
		{&admin.NodeExecutionGetDataResponse{}, "flyteidl.admin.NodeExecutionGetDataResponse", []field{
			{"inputs", 1, "flyteidl.admin.UrlBlob", ""}, {"outputs", 2, "flyteidl.admin.UrlBlob", ""},
			{"full_inputs", 3, "flyteidl.core.LiteralMap", ""}, {"full_outputs", 4, "flyteidl.core.LiteralMap", ""},
			{"dynamic_workflow", 16, "flyteidl.admin.DynamicWorkflowNodeMetadata", ""},
			{"flyte_urls", 17, "flyteidl.admin.FlyteURLs", ""},
		}},
		{&admin.TaskExecutionListRequest{}, "flyteidl.admin.TaskExecutionListRequest", []field{
			{"node_execution_id", 1, "flyteidl.core.NodeExecutionIdentifier", ""}, {"limit", 2, "", ""},
			{"token", 3, "", ""}, {"filters", 4, "", ""}, {"sort_by", 5, "flyteidl.admin.Sort", ""},
		}},
		{&admin.TaskExecution{}, "flyteidl.admin.TaskExecution", []field{
			{"id", 1, "flyteidl.core.TaskExecutionIdentifier", ""}, {"input_uri", 2, "", ""},
			{"closure", 3, "flyteidl.admin.TaskExecutionClosure", ""}, {"is_parent", 4, "", ""},
		}},
		{&admin.TaskExecutionClosure{}, "flyteidl.admin.TaskExecutionClosure", []field{
			{"output_uri", 1, "", "output_result"}, {"error", 2, "flyteidl.core.ExecutionError", "output_result"},
			{"phase", 3, "flyteidl.core.TaskExecution.Phase", ""}, {"logs", 4, "flyteidl.core.TaskLog", ""},
			{"started_at", 5, ts, ""}, {"duration", 6, dur, ""}, {"created_at", 7, ts, ""}, {"updated_at", 8, ts, ""},
			{"custom_info", 9, strt, ""}, {"reason", 10, "", ""}, {"task_type", 11, "", ""},
			{"output_data", 12, "flyteidl.core.LiteralMap", "output_result"},
			{"metadata", 16, "flyteidl.event.TaskExecutionMetadata", ""}, {"event_version", 17, "", ""},
			{"reasons", 18, "flyteidl.admin.Reason", ""}, {"log_context", 19, "flyteidl.core.LogContext", ""},
		}},
		{&admin.Reason{}, "flyteidl.admin.Reason", []field{
			{"occurred_at", 1, ts, ""}, {"message", 2, "", ""},
		}},
		{&admin.Project{}, "flyteidl.admin.Project", []field{
			{"id", 1, "", ""}, {"name", 2, "", ""}, {"domains", 3, "flyteidl.admin.Domain", ""},
			{"description", 4, "", ""}, {"labels", 5, "flyteidl.admin.Labels", ""},
			{"state", 6, "flyteidl.admin.Project.ProjectState", ""}, {"org", 7, "", ""},
		}},
		{&admin.ProjectListRequest{}, "flyteidl.admin.ProjectListRequest", []field{
			{"limit", 1, "", ""}, {"token", 2, "", ""}, {"filters", 3, "", ""},
			{"sort_by", 4, "flyteidl.admin.Sort", ""}, {"org", 5, "", ""},
		}},
		{&admin.ProjectGetRequest{}, "flyteidl.admin.ProjectGetRequest", []field{
			{"id", 1, "", ""}, {"org", 2, "", ""},
		}},
		{&admin.GetVersionResponse{}, "flyteidl.admin.GetVersionResponse", []field{
			{"control_plane_version", 1, "flyteidl.admin.Version", ""},
		}},
		{&admin.Version{}, "flyteidl.admin.Version", []field{
			{"Build", 1, "", ""}, {"Version", 2, "", ""}, {"BuildTime", 3, "", ""},
		}},
		{&service.PublicClientAuthConfigResponse{}, "flyteidl.service.PublicClientAuthConfigResponse", []field{
			{"client_id", 1, "", ""}, {"redirect_uri", 2, "", ""}, {"scopes", 3, "", ""},
			{"authorization_metadata_key", 4, "", ""}, {"service_http_endpoint", 5, "", ""}, {"audience", 6, "", ""},
		}},
		{&service.OAuth2MetadataResponse{}, "flyteidl.service.OAuth2MetadataResponse", []field{
			{"issuer", 1, "", ""}, {"token_endpoint", 3, "", ""}, {"jwks_uri", 7, "", ""},
			{"device_authorization_endpoint", 10, "", ""},
		}},
	}
	for _, tc := range tests {
		md := tc.msg.ProtoReflect().Descriptor()
		t.Run(tc.fullName, func(t *testing.T) {
			if got := string(md.FullName()); got != tc.fullName {
				t.Fatalf("full name = %q, want %q", got, tc.fullName)
			}
			for _, f := range tc.fields {
				fd := md.Fields().ByNumber(f.number)
				if fd == nil {
					t.Errorf("no field number %d (want %q)", f.number, f.name)
					continue
				}
				if got := string(fd.Name()); got != f.name {
					t.Errorf("field %d name = %q, want %q", f.number, got, f.name)
				}
				switch {
				case f.typ == "bytes":
					if fd.Kind() != protoreflect.BytesKind {
						t.Errorf("field %s kind = %v, want bytes", f.name, fd.Kind())
					}
				case f.typ != "":
					var got protoreflect.FullName
					if fd.Message() != nil {
						got = fd.Message().FullName()
					} else if fd.Enum() != nil {
						got = fd.Enum().FullName()
					}
					if string(got) != f.typ {
						t.Errorf("field %s type = %q, want %q", f.name, got, f.typ)
					}
				default:
					if fd.Message() != nil || fd.Enum() != nil {
						t.Errorf("field %s is %v, want a scalar", f.name, fd.Kind())
					}
				}
				var oneof string
				if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
					oneof = string(od.Name())
				}
				if oneof != f.oneof {
					t.Errorf("field %s oneof = %q, want %q", f.name, oneof, f.oneof)
				}
			}
		})
	}
}

func TestEnumValues(t *testing.T) {
	tests := []struct {
		enum     protoreflect.Enum
		fullName string
		name     string
		number   protoreflect.EnumNumber
	}{
		{core.WorkflowExecution_FAILED, "flyteidl.core.WorkflowExecution.Phase", "FAILED", 6},
		{core.WorkflowExecution_TIMED_OUT, "flyteidl.core.WorkflowExecution.Phase", "TIMED_OUT", 8},
		{core.WorkflowExecution_ABORTING, "flyteidl.core.WorkflowExecution.Phase", "ABORTING", 9},
		{core.NodeExecution_FAILED, "flyteidl.core.NodeExecution.Phase", "FAILED", 5},
		{core.NodeExecution_TIMED_OUT, "flyteidl.core.NodeExecution.Phase", "TIMED_OUT", 8},
		{core.NodeExecution_RECOVERED, "flyteidl.core.NodeExecution.Phase", "RECOVERED", 10},
		{core.TaskExecution_FAILED, "flyteidl.core.TaskExecution.Phase", "FAILED", 5},
		{core.TaskExecution_WAITING_FOR_RESOURCES, "flyteidl.core.TaskExecution.Phase", "WAITING_FOR_RESOURCES", 7},
		{core.TaskExecution_RETRYABLE_FAILED, "flyteidl.core.TaskExecution.Phase", "RETRYABLE_FAILED", 8},
		{core.ExecutionError_SYSTEM, "flyteidl.core.ExecutionError.ErrorKind", "SYSTEM", 2},
		{core.ResourceType_LAUNCH_PLAN, "flyteidl.core.ResourceType", "LAUNCH_PLAN", 3},
		{core.CatalogCacheStatus_CACHE_HIT, "flyteidl.core.CatalogCacheStatus", "CACHE_HIT", 2},
		{core.CatalogCacheStatus_CACHE_EVICTED, "flyteidl.core.CatalogCacheStatus", "CACHE_EVICTED", 7},
		{core.TaskLog_JSON, "flyteidl.core.TaskLog.MessageFormat", "JSON", 2},
		{core.Secret_FILE, "flyteidl.core.Secret.MountType", "FILE", 2},
		{core.QualityOfService_LOW, "flyteidl.core.QualityOfService.Tier", "LOW", 3},
		{admin.Sort_DESCENDING, "flyteidl.admin.Sort.Direction", "DESCENDING", 0},
		{admin.Sort_ASCENDING, "flyteidl.admin.Sort.Direction", "ASCENDING", 1},
		{admin.ExecutionMetadata_TRIGGER, "flyteidl.admin.ExecutionMetadata.ExecutionMode", "TRIGGER", 6},
		{admin.ExecutionState_EXECUTION_ARCHIVED, "flyteidl.admin.ExecutionState", "EXECUTION_ARCHIVED", 1},
		{admin.Project_SYSTEM_ARCHIVED, "flyteidl.admin.Project.ProjectState", "SYSTEM_ARCHIVED", 3},
		{event.TaskExecutionMetadata_INTERRUPTIBLE, "flyteidl.event.TaskExecutionMetadata.InstanceClass", "INTERRUPTIBLE", 1},
	}
	for _, tc := range tests {
		t.Run(tc.fullName+"."+tc.name, func(t *testing.T) {
			ed := tc.enum.Descriptor()
			if got := string(ed.FullName()); got != tc.fullName {
				t.Errorf("enum full name = %q, want %q", got, tc.fullName)
			}
			if got := tc.enum.Number(); got != tc.number {
				t.Errorf("number = %d, want %d", got, tc.number)
			}
			vd := ed.Values().ByNumber(tc.number)
			if vd == nil || string(vd.Name()) != tc.name {
				t.Errorf("value %d = %v, want %s", tc.number, vd, tc.name)
			}
		})
	}
}

func TestServiceMethodNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{service.AdminService_GetExecution_FullMethodName, "/flyteidl.service.AdminService/GetExecution"},
		{service.AdminService_ListExecutions_FullMethodName, "/flyteidl.service.AdminService/ListExecutions"},
		{service.AdminService_GetExecutionData_FullMethodName, "/flyteidl.service.AdminService/GetExecutionData"},
		{service.AdminService_GetNodeExecution_FullMethodName, "/flyteidl.service.AdminService/GetNodeExecution"},
		{service.AdminService_ListNodeExecutions_FullMethodName, "/flyteidl.service.AdminService/ListNodeExecutions"},
		{service.AdminService_GetNodeExecutionData_FullMethodName, "/flyteidl.service.AdminService/GetNodeExecutionData"},
		{service.AdminService_GetTaskExecution_FullMethodName, "/flyteidl.service.AdminService/GetTaskExecution"},
		{service.AdminService_ListTaskExecutions_FullMethodName, "/flyteidl.service.AdminService/ListTaskExecutions"},
		{service.AdminService_GetVersion_FullMethodName, "/flyteidl.service.AdminService/GetVersion"},
		{service.AdminService_ListProjects_FullMethodName, "/flyteidl.service.AdminService/ListProjects"},
		{service.AdminService_GetProject_FullMethodName, "/flyteidl.service.AdminService/GetProject"},
		{service.AdminService_GetDomains_FullMethodName, "/flyteidl.service.AdminService/GetDomains"},
		{service.AuthMetadataService_GetOAuth2Metadata_FullMethodName, "/flyteidl.service.AuthMetadataService/GetOAuth2Metadata"},
		{service.AuthMetadataService_GetPublicClientConfig_FullMethodName, "/flyteidl.service.AuthMetadataService/GetPublicClientConfig"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("method = %q, want %q", tc.got, tc.want)
		}
	}
	if n := len(service.AdminService_ServiceDesc.Methods); n != 12 {
		t.Errorf("AdminService has %d methods, want 12", n)
	}
	if n := len(service.AuthMetadataService_ServiceDesc.Methods); n != 2 {
		t.Errorf("AuthMetadataService has %d methods, want 2", n)
	}
	if got := service.AdminService_ServiceDesc.ServiceName; got != "flyteidl.service.AdminService" {
		t.Errorf("service name = %q", got)
	}
}

// TestDecodeHandEncodedNodeExecution builds the bytes a flyteadmin would send
// for a failed parent node, field by field with protowire (no generated
// marshalling involved), and checks that our types read them back.
func TestDecodeHandEncodedNodeExecution(t *testing.T) {
	msg := func(b []byte, num protowire.Number, body []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, body)
	}
	str := func(b []byte, num protowire.Number, s string) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, v)
	}

	// core.WorkflowExecutionIdentifier: project=1, domain=2, name=4.
	var wfID []byte
	wfID = str(wfID, 1, "flytesnacks")
	wfID = str(wfID, 2, "development")
	wfID = str(wfID, 4, "abc123")
	// core.NodeExecutionIdentifier: node_id=1, execution_id=2.
	var nodeID []byte
	nodeID = str(nodeID, 1, "n0")
	nodeID = msg(nodeID, 2, wfID)
	// core.ExecutionError: code=1, message=2, kind=4.
	var execErr []byte
	execErr = str(execErr, 1, "OOMKilled")
	execErr = str(execErr, 2, "boom")
	execErr = varint(execErr, 4, 1) // USER
	// google.protobuf.Timestamp: seconds=1.
	var started []byte
	started = varint(started, 1, 1700000000)
	// admin.NodeExecutionClosure: error=2, phase=3, started_at=4, deck_uri=11.
	var closure []byte
	closure = msg(closure, 2, execErr)
	closure = varint(closure, 3, 5) // NodeExecution.Phase FAILED
	closure = msg(closure, 4, started)
	closure = str(closure, 11, "s3://bucket/deck.html")
	// admin.NodeExecutionMetaData: retry_group=1, is_parent_node=2, spec_node_id=3.
	var meta []byte
	meta = str(meta, 1, "0")
	meta = varint(meta, 2, 1)
	meta = str(meta, 3, "n0")
	// A field from a future flyteidl: must be skipped, not fail.
	meta = str(meta, 99, "future")
	// admin.NodeExecution: id=1, input_uri=2, closure=3, metadata=4.
	var wire []byte
	wire = msg(wire, 1, nodeID)
	wire = str(wire, 2, "s3://bucket/metadata/propeller/flytesnacks-development-abc123/n0/data/inputs.pb")
	wire = msg(wire, 3, closure)
	wire = msg(wire, 4, meta)

	var ne admin.NodeExecution
	if err := proto.Unmarshal(wire, &ne); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if got := ne.GetId().GetNodeId(); got != "n0" {
		t.Errorf("id.node_id = %q, want n0", got)
	}
	if got := ne.GetId().GetExecutionId().GetName(); got != "abc123" {
		t.Errorf("id.execution_id.name = %q, want abc123", got)
	}
	if got := ne.GetId().GetExecutionId().GetDomain(); got != "development" {
		t.Errorf("id.execution_id.domain = %q, want development", got)
	}
	if got := ne.GetClosure().GetPhase(); got != core.NodeExecution_FAILED {
		t.Errorf("closure.phase = %v, want FAILED", got)
	}
	e := ne.GetClosure().GetError()
	if e == nil {
		t.Fatalf("closure.error missing; output_result = %T", ne.GetClosure().GetOutputResult())
	}
	if e.GetMessage() != "boom" || e.GetCode() != "OOMKilled" || e.GetKind() != core.ExecutionError_USER {
		t.Errorf("closure.error = %v", e)
	}
	if got := ne.GetClosure().GetStartedAt().GetSeconds(); got != 1700000000 {
		t.Errorf("closure.started_at = %d", got)
	}
	if got := ne.GetClosure().GetDeckUri(); got != "s3://bucket/deck.html" {
		t.Errorf("closure.deck_uri = %q", got)
	}
	if !ne.GetMetadata().GetIsParentNode() {
		t.Error("metadata.is_parent_node = false, want true")
	}
	if got := ne.GetMetadata().GetSpecNodeId(); got != "n0" {
		t.Errorf("metadata.spec_node_id = %q", got)
	}
	if len(ne.GetMetadata().ProtoReflect().GetUnknown()) == 0 {
		t.Error("unknown field 99 was not kept as unknown")
	}

	// A round trip through our types keeps everything, including the
	// unknown field. (Byte equality is not expected: Go writes oneof
	// fields after the regular ones.)
	out, err := proto.Marshal(&ne)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var again admin.NodeExecution
	if err := proto.Unmarshal(out, &again); err != nil {
		t.Fatalf("unmarshal again: %v", err)
	}
	if !proto.Equal(&ne, &again) {
		t.Errorf("round trip changed the message:\n got %v\nwant %v", &again, &ne)
	}
}

// TestDecodeHandEncodedTaskExecution checks the parts of a task attempt a
// diagnosis leans on: the pod name in metadata.generated_name, the subtask
// list, and the RETRYABLE_FAILED phase added in v1.16.
func TestDecodeHandEncodedTaskExecution(t *testing.T) {
	appendMsg := func(b []byte, num protowire.Number, body []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), body)
	}
	appendStr := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
	}
	appendVarint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}

	// event.ExternalResourceInfo
	var ext []byte
	ext = appendStr(ext, 1, "sub-0")
	ext = appendVarint(ext, 2, 3)
	ext = appendVarint(ext, 4, 5) // TaskExecution.Phase FAILED
	// event.TaskExecutionMetadata
	var md []byte
	md = appendStr(md, 1, "abc123-n0-0")
	md = appendMsg(md, 2, ext)
	md = appendStr(md, 4, "k8s-array")
	md = appendVarint(md, 16, 1) // INTERRUPTIBLE
	// core.PodLogContext
	var pod []byte
	pod = appendStr(pod, 1, "flytesnacks-development")
	pod = appendStr(pod, 2, "abc123-n0-0")
	// core.LogContext
	var lc []byte
	lc = appendMsg(lc, 1, pod)
	// admin.TaskExecutionClosure
	var cl []byte
	cl = appendVarint(cl, 3, 8) // RETRYABLE_FAILED
	cl = appendStr(cl, 10, "retrying")
	cl = appendStr(cl, 11, "python-task")
	cl = appendMsg(cl, 16, md)
	cl = appendVarint(cl, 17, 1)
	cl = appendMsg(cl, 19, lc)
	// admin.TaskExecution: closure=3, is_parent=4.
	var b []byte
	b = appendMsg(b, 3, cl)
	b = appendVarint(b, 4, 1) // is_parent

	var te admin.TaskExecution
	if err := proto.Unmarshal(b, &te); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	c := te.GetClosure()
	if c.GetPhase() != core.TaskExecution_RETRYABLE_FAILED {
		t.Errorf("phase = %v", c.GetPhase())
	}
	if c.GetReason() != "retrying" || c.GetTaskType() != "python-task" || c.GetEventVersion() != 1 {
		t.Errorf("reason/task_type/event_version = %q/%q/%d", c.GetReason(), c.GetTaskType(), c.GetEventVersion())
	}
	m := c.GetMetadata()
	if m.GetGeneratedName() != "abc123-n0-0" || m.GetPluginIdentifier() != "k8s-array" ||
		m.GetInstanceClass() != event.TaskExecutionMetadata_INTERRUPTIBLE {
		t.Errorf("metadata = %v", m)
	}
	if len(m.GetExternalResources()) != 1 || m.GetExternalResources()[0].GetIndex() != 3 ||
		m.GetExternalResources()[0].GetPhase() != core.TaskExecution_FAILED {
		t.Errorf("external_resources = %v", m.GetExternalResources())
	}
	if got := c.GetLogContext().GetPods(); len(got) != 1 || got[0].GetPodName() != "abc123-n0-0" {
		t.Errorf("log_context.pods = %v", got)
	}
	if !te.GetIsParent() {
		t.Error("is_parent = false")
	}
}
