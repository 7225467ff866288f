"""The roster CSV layout as `conduct roster import --help` shows it. Its own module, with no
imports, so that the command line can show the help without loading the roster models."""

CSV_LAYOUT = """\
CSV: one file, one row per entry; a `kind` column says what each row is, and
the other columns depend on it (extra columns are ignored, empty cells take
the defaults):

  council             id, name, code, nation, type, principal,
                      sub_committee, chair_name, chair_email,
                      vice_chair_name, vice_chair_email,
                      clerk_name, clerk_email, retention_years,
                      notice_retention_years, report_levels
  member              id, name, email, council, group, co_opted,
                      elected_on, committees, memberships
  group_leader        council, group, member
  independent_person  id, name, email
  officer             id, name, email, roles, login
  committee           name, council, required_training

nation: england, wales, scotland or northern-ireland; type: principal or
parish (a parish names its principal council); co_opted: true or false;
roles: separated by ; from monitoring-officer, deputy-monitoring-officer,
investigating-officer, democratic-services; elected_on: the member's last
election, YYYY-MM-DD (Code training counts from it); retention_years (default
6) and notice_retention_years: how long a council keeps a closed case's
personal data and a published notice; report_levels (the Group Leaders'
report's columns): title=point+point separated by ;, points from open,
no-action, informal-resolution, investigation, hearing, external;
memberships (a dual-hatted member's
other councils): council:group separated by ;; committees (a member's)
and required_training (a committee's: code-of-conduct, equalities,
committee): separated by ;; login: what the identity
provider asserts for the officer (default: their email). Rows whose kind
starts with # are comments. Example:

  kind,id,name,email,council,group,member,roles,code
  council,worthing,Worthing Borough Council,,,,,,WBC
  member,wbc-03,Catherine Pryce,cp@worthing.example,worthing,Labour,,,
  group_leader,,,,worthing,Labour,wbc-03,,
  independent_person,ip-1,Margaret Ellory,me@ip.example,,,,,
  officer,mo,Joanna Whitlock,jw@council.example,,,,monitoring-officer,"""
