package fakeaws

import "encoding/xml"

// The XML shapes of S3's answers (restXml). Element names follow the S3 API
// reference and the SDK's awsRestxml_deserializeDocument* functions.

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type listBucketResultXML struct {
	XMLName               xml.Name          `xml:"ListBucketResult"`
	Xmlns                 string            `xml:"xmlns,attr"`
	Name                  string            `xml:"Name"`
	Prefix                string            `xml:"Prefix"`
	Delimiter             string            `xml:"Delimiter,omitempty"`
	MaxKeys               int               `xml:"MaxKeys"`
	KeyCount              int               `xml:"KeyCount"`
	IsTruncated           bool              `xml:"IsTruncated"`
	ContinuationToken     string            `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string            `xml:"NextContinuationToken,omitempty"`
	StartAfter            string            `xml:"StartAfter,omitempty"`
	EncodingType          string            `xml:"EncodingType,omitempty"`
	Contents              []objectXML       `xml:"Contents"`
	CommonPrefixes        []commonPrefixXML `xml:"CommonPrefixes"`
}

type objectXML struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type commonPrefixXML struct {
	Prefix string `xml:"Prefix"`
}

// s3ErrorXML is S3's error document: unlike most AWS XML protocols it is not
// wrapped in <ErrorResponse>, and it carries extra elements per code.
type s3ErrorXML struct {
	XMLName        xml.Name `xml:"Error"`
	Code           string   `xml:"Code"`
	Message        string   `xml:"Message"`
	BucketName     string   `xml:"BucketName,omitempty"`
	Bucket         string   `xml:"Bucket,omitempty"`
	Endpoint       string   `xml:"Endpoint,omitempty"`
	Key            string   `xml:"Key,omitempty"`
	Condition      string   `xml:"Condition,omitempty"`
	RangeRequested string   `xml:"RangeRequested,omitempty"`
	ActualSize     string   `xml:"ActualObjectSize,omitempty"`
	RequestID      string   `xml:"RequestId"`
	HostID         string   `xml:"HostId"`
}
