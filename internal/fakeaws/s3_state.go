package fakeaws

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"slices"
	"time"
)

// s3State holds the buckets. Guarded by Server.mu.
type s3State struct {
	buckets map[string]*bucket
}

func (st *s3State) init() { st.buckets = map[string]*bucket{} }

// bucket is one S3 bucket: where it lives, its objects, and what the caller
// is not allowed to do with it.
type bucket struct {
	name    string
	region  string
	objects map[string]*object
	// sorted is the keys in S3's listing order (UTF-8 bytes); nil when it
	// must be rebuilt.
	sorted []string
	denied map[string]bool // IAM actions the caller lacks: s3:ListBucket, s3:GetObject, kms:Decrypt
	faults map[string]*objectFaults
}

type object struct {
	data     []byte
	etag     string
	modified time.Time
	kmsKeyID string // set: the object is encrypted with SSE-KMS under this key
}

// S3Object is an object as a test puts it.
type S3Object struct {
	Key  string
	Data []byte
	// LastModified defaults to the server clock.
	LastModified time.Time
	// KMSKeyID, when set, marks the object as encrypted with SSE-KMS under
	// that key (an ARN): reading it also needs kms:Decrypt.
	KMSKeyID string
}

// CreateBucket makes a bucket in a Region ("" for the server's Region).
// Requests signed for another Region are redirected, as S3 does.
func (s *Server) CreateBucket(name, region string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(name, region)
}

// bucket returns the named bucket, creating it in region. Callers hold s.mu.
func (s *Server) bucket(name, region string) *bucket {
	b, ok := s.s3.buckets[name]
	if !ok {
		if region == "" {
			region = Region
		}
		b = &bucket{name: name, region: region, objects: map[string]*object{}, denied: map[string]bool{}, faults: map[string]*objectFaults{}}
		s.s3.buckets[name] = b
	}
	return b
}

// PutObject stores data under key, creating the bucket in the server's
// Region if it does not exist. The server keeps data without copying it, so
// many keys can share one large body; do not change it afterwards.
func (s *Server) PutObject(bucketName, key string, data []byte) {
	s.PutS3Object(bucketName, S3Object{Key: key, Data: data})
}

// PutS3Object stores an object with its metadata, creating the bucket in the
// server's Region if it does not exist.
func (s *Server) PutS3Object(bucketName string, o S3Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putObject(s.bucket(bucketName, ""), o)
}

// putObject stores an object. Callers hold s.mu.
func (s *Server) putObject(b *bucket, o S3Object) {
	if o.LastModified.IsZero() {
		o.LastModified = s.now()
	}
	sum := md5.Sum(o.Data)
	if _, exists := b.objects[o.Key]; !exists {
		b.sorted = nil
	}
	b.objects[o.Key] = &object{
		data:     o.Data,
		etag:     `"` + hex.EncodeToString(sum[:]) + `"`,
		modified: o.LastModified.UTC().Truncate(time.Millisecond),
		kmsKeyID: o.KMSKeyID,
	}
}

// DeleteObject removes an object, as a lifecycle rule would between a
// listing and a download.
func (s *Server) DeleteObject(bucketName, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.s3.buckets[bucketName]; ok {
		if _, exists := b.objects[key]; exists {
			delete(b.objects, key)
			b.sorted = nil
		}
	}
}

// DenyS3 takes a permission away from the caller on a bucket: "s3:ListBucket"
// (listing fails, and so does reading a key that does not exist: S3 answers
// 403 rather than reveal that it is missing), "s3:GetObject" (reading and
// HeadObject fail) or "kms:Decrypt" (reading an SSE-KMS object fails; its
// HeadObject does not, as in AWS). Every denial is S3's plain 403
// AccessDenied "Access Denied", which is what a cross-account caller sees and
// does not name the action: a client has to work out which one it lacks.
func (s *Server) DenyS3(bucketName, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket(bucketName, "").denied[action] = true
}

// keys returns the bucket's keys in listing order. Callers hold s.mu.
func (b *bucket) keys() []string {
	if b.sorted == nil {
		b.sorted = make([]string, 0, len(b.objects))
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		slices.Sort(b.sorted) // Go compares strings by bytes, as S3 orders UTF-8 keys
	}
	return b.sorted
}

// FlowLogLocation says where a VPC flow log delivers to S3; Key lays out the
// keys of its files as AWS does (VPC user guide, "Flow log files"):
//
//	[Prefix]AWSLogs/[OrgID/]{account}/vpcflowlogs/{region}/YYYY/MM/DD/[HH/]
//	[Prefix]AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year=YYYY/month=MM/day=DD/[hour=HH/]
//
// with file names {account}_vpcflowlogs_{region}_{flow-log-id}_{YYYYMMDDTHHmmZ}_{hash}.log.gz
// (.log.parquet for Parquet), the time being the end of the file's batch.
type FlowLogLocation struct {
	Prefix    string // the folder before AWSLogs/, with its trailing slash ("" for none)
	OrgID     string // an organisation level before the account, "" for none
	Account   string // default AccountID
	Region    string // default Region
	FlowLogID string // default fl-0123456789abcdef0
	Hive      bool   // Hive-compatible prefixes
	Hourly    bool   // hourly partitions
	Parquet   bool   // .log.parquet instead of .log.gz
}

// Key returns the key of the file this flow log publishes for the batch that
// ends at end (UTC). part tells apart several files of one batch, as AWS
// writes when a batch is large; it only changes the hash.
func (l FlowLogLocation) Key(end time.Time, part int) string {
	account, region, id := l.Account, l.Region, l.FlowLogID
	if account == "" {
		account = AccountID
	}
	if region == "" {
		region = Region
	}
	if id == "" {
		id = "fl-0123456789abcdef0"
	}
	end = end.UTC()
	key := l.Prefix + "AWSLogs/"
	if l.OrgID != "" {
		key += l.OrgID + "/"
	}
	if l.Hive {
		key += fmt.Sprintf("aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/year=%04d/month=%02d/day=%02d/",
			account, region, end.Year(), end.Month(), end.Day())
		if l.Hourly {
			key += fmt.Sprintf("hour=%02d/", end.Hour())
		}
	} else {
		key += fmt.Sprintf("%s/vpcflowlogs/%s/%04d/%02d/%02d/", account, region, end.Year(), end.Month(), end.Day())
		if l.Hourly {
			key += fmt.Sprintf("%02d/", end.Hour())
		}
	}
	stamp := end.Format("20060102T1504Z")
	hash := crc32.ChecksumIEEE(fmt.Appendf(nil, "%s/%s/%d", id, stamp, part))
	ext := ".log.gz"
	if l.Parquet {
		ext = ".log.parquet"
	}
	return key + fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s_%08x%s", account, region, id, stamp, hash, ext)
}

// Object returns the data stored under key (nil when there is none): what a test
// reads back, such as the result CSV Athena wrote.
func (s *Server) Object(bucketName, key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.s3.buckets[bucketName]; ok {
		if o, ok := b.objects[key]; ok {
			return o.data
		}
	}
	return nil
}
