package athena

import (
	"fmt"
	"strings"

	"github.com/flowlens/flowlens/model/pushdown"
	s3src "github.com/flowlens/flowlens/source/s3"
)

// DDL writes the CREATE EXTERNAL TABLE statement of a partition-projection table over
// the flow logs a TableLayout describes, as AWS's Athena guide has it for flow logs
// ("Create and query a table for Amazon VPC flow logs using partition projection", and
// its Parquet example): the data columns of the log's own format in its order (a text
// table maps columns by position, so AWS's fixed list would misread a custom format),
// Athena's types for each (pushdown.SQLType); the account, Region and date levels below
// the location as partition keys projected from the key layout found (enum values for
// accounts and Regions, a date in the folders' own format from the first date found to
// NOW, by day or by hour); space-delimited text with its header line skipped, or
// Parquet. The partition keys are named aws_account, aws_region and day (or hour), so
// that they never collide with the log's own account_id and region columns.
func DDL(table string, l *s3src.TableLayout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (\n", table)
	f := l.Format
	for i, fld := range f.Fields {
		sep := ","
		if i == len(f.Fields)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  `%s` %s%s\n", pushdown.ColumnName(f, fld), pushdown.SQLType(fld), sep)
	}
	b.WriteString(")\n")
	var parts []string
	props := [][2]string{}
	if !l.Parquet {
		props = append(props, [2]string{"skip.header.line.count", "1"})
	} else {
		props = append(props, [2]string{"EXTERNAL", "true"})
	}
	projected := l.Accounts != nil || l.Regions != nil || l.PartitionDate != ""
	if projected {
		props = append(props, [2]string{"projection.enabled", "true"})
	}
	if l.Accounts != nil {
		parts = append(parts, "`aws_account` string")
		props = append(props, [2]string{"projection.aws_account.type", "enum"}, [2]string{"projection.aws_account.values", strings.Join(l.Accounts, ",")})
	}
	if l.Regions != nil {
		parts = append(parts, "`aws_region` string")
		props = append(props, [2]string{"projection.aws_region.type", "enum"}, [2]string{"projection.aws_region.values", strings.Join(l.Regions, ",")})
	}
	if d := l.PartitionDate; d != "" {
		layout, _ := goLayout(l.DateFormat)
		parts = append(parts, fmt.Sprintf("`%s` string", d))
		props = append(props,
			[2]string{"projection." + d + ".type", "date"},
			[2]string{"projection." + d + ".format", l.DateFormat},
			[2]string{"projection." + d + ".range", l.FirstDate.UTC().Format(layout) + ",NOW"},
			[2]string{"projection." + d + ".interval", "1"},
			[2]string{"projection." + d + ".interval.unit", l.DateUnit})
	}
	if projected {
		props = append(props, [2]string{"storage.location.template", l.Template})
	}
	if len(parts) > 0 {
		fmt.Fprintf(&b, "PARTITIONED BY (%s)\n", strings.Join(parts, ", "))
	}
	if l.Parquet {
		b.WriteString("ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n" +
			"STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n" +
			"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'\n")
	} else {
		b.WriteString("ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\n")
	}
	fmt.Fprintf(&b, "LOCATION '%s'\n", l.Location)
	b.WriteString("TBLPROPERTIES (\n")
	for i, p := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		// Double quotes, as AWS's partition projection examples: the Hive date
		// format's 'year=' literals hold single quotes.
		fmt.Fprintf(&b, "  \"%s\" = \"%s\"%s\n", p[0], p[1], sep)
	}
	b.WriteString(")")
	return b.String()
}
