// Package fakeaws is an in-process fake of the AWS services flowlens talks
// to: CloudWatch Logs (awsJson1_1, including the StartLiveTail event stream),
// EC2 (ec2query) and S3 (restXml, path-style addressing). It speaks the real wire protocols so that tests can
// drive the real aws-sdk-go-v2 clients against it: no mocks at the SDK
// boundary.
//
// One Server answers every service on one 127.0.0.1 address, routing S3's
// GET, HEAD and PUT requests by method and path, and POSTs on the
// X-Amz-Target header (CloudWatch Logs) or the form field Action (EC2), so a
// single AWS_ENDPOINT_URL or BaseEndpoint serves all clients (S3 with
// UsePathStyle).
//
// Tests fill the server with plain Go values (log groups, events, flow logs,
// security groups, network ACLs, network interfaces, buckets and objects laid
// out as FlowLogLocation.Key lays them), inject faults (FailNext, EmptyPages,
// PageSize, EndLiveTail, DropConnections, HoldObject, FailObject, CutObject,
// DenyS3, ...) and read back what the client asked for with Calls.
//
//	srv := fakeaws.Serve(t)
//	srv.AddEvents("/vpc/flow", "eni-0abc-all", fakeaws.Event{
//		Timestamp: time.Unix(1418530010, 0),
//		Message:   "2 123456789010 eni-0abc 10.0.0.1 10.0.0.2 443 49152 6 10 840 1418530010 1418530070 ACCEPT OK",
//	})
//	srv.FailNext("FilterLogEvents", 1, "ThrottlingException")
//	logs := awsclient.NewLogs(srv.AWSConfig())
//	out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/vpc/flow")})
//
// FilterLogEvents and Live Tail apply filter patterns, plain terms and the
// space-delimited form (filterpattern.go); Live Tail samples updates above
// LiveTailSampleRate (500 events a second by default, as AWS). Logs Insights
// (StartQuery, GetQueryResults, StopQuery) runs the subset of the query
// language described in insights_lang.go over the stored events, with AWS's
// row limit, concurrency quota and whole-second inclusive time ranges
// (InsightsPolls, InsightsConcurrencyLimit, InsightsMaxRows).
//
// Where AWS behaviour is documented the fake follows the documentation; where
// it is not, the fake errs on the strict side (see the notes on each method).
package fakeaws
