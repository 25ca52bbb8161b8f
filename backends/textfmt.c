/* Text log formats: definitions loaded from JSON, PCRE2 (JIT) matching
 * without copies, role extraction, rendering (see textfmt.h). */
#include "config.h"
#include "backends/textfmt.h"
#include "backends/jscan.h"
#include "lib/buf.h"
#include "lib/jsonpos.h"
#include "lib/strmap.h"
#include "lib/strutil.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "queries/preset.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define TF_FILE_MAX	(1 << 20)

enum ftype { T_STRING, T_INT, T_FLOAT, T_BOOL, T_TIME, T_PRI };
enum flayout { L_ISO, L_EPOCH, L_5424, L_3164 };
enum fparse { P_NONE, P_JSON, P_LOGFMT, P_KV, P_SD, P_AUTO };

/* What a named group (or a body key of the same name) is. */
struct spec {
	char		*name;
	size_t		 namelen;
	char		*field;		/* path; NULL: the name */
	size_t		 fieldlen;
	char		*field_from;	/* group whose text is the path, or NULL */
	enum ftype	 type;
	enum flayout	 layout;
	int		 role;		/* -1 none */
	enum fparse	 parse;
	int		 sd_prefix;	/* parse sd: fields are SDID.PARAM, not PARAM */
};

struct pat {
	char		*name, *regex;
	pcre2_code	*code;
	uint32_t	 ngroups;	/* capture count */
	char		**gname;	/* [1..ngroups]: group name or NULL (owned) */
	size_t		*gnamelen;
	int		*spec_of;	/* [1..ngroups]: spec index or -1 */
	int		*from_group;	/* [1..ngroups]: field_from group number or -1 */
	int		*same;		/* the continuation "same" group numbers */
	int		 tail;		/* a last group (?<X>.*)$ compiled as (?<X>) and
					   extended to the line's end at match time, 0 none */
};

struct tf_format {
	char		*name, *description, *file, *text;
	size_t		 textlen;
	enum tf_origin	 origin;
	struct pat	*pats;
	size_t		 npats;
	struct spec	*specs;
	size_t		 nspecs;
	uint64_t	 speclenmask;	/* bit (namelen mod 64) of every spec name */
	char		*roles[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t		 rolelen[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t		 nroles[ROLE_COUNT];
	int		 has_role[ROLE_COUNT];	/* a group or "roles" entry plays it */
	char		**lvl_from, **lvl_to;
	size_t		 nlvl;
	pcre2_code	*cont;
	char		**same;
	size_t		 nsame;
	int		 after_error;
	int		 infers_year;
	uint64_t	 hash;
};

/* ---- time zone (--tz) ---- */

static char	*tz_name;	/* NULL: UTC, naive */
static int	 tz_fixed;	/* 1: tz_off applies */
static int64_t	 tz_off;	/* seconds east of UTC */

int
tf_set_tz(const char *zone, struct ld_err *err)
{
	free(tz_name);
	tz_name = NULL;
	tz_fixed = 1;
	tz_off = 0;
	if (zone == NULL)
		return LD_OK;
	size_t n = strlen(zone);
	if (strcmp(zone, "UTC") == 0 || strcmp(zone, "Z") == 0 || strcmp(zone, "utc") == 0) {
		tz_name = xstrdup(zone);
		return LD_OK;
	}
	if ((zone[0] == '+' || zone[0] == '-') && (n == 3 || n == 5 || n == 6)) {
		int h, m = 0, ok = 0;
		if (n == 3)
			ok = sscanf(zone + 1, "%2d", &h) == 1;
		else if (n == 5)
			ok = sscanf(zone + 1, "%2d%2d", &h, &m) == 2;
		else
			ok = zone[3] == ':' && sscanf(zone + 1, "%2d:%2d", &h, &m) == 2;
		if (ok && h <= 23 && m <= 59) {
			tz_off = (int64_t)(h * 3600 + m * 60) * (zone[0] == '-' ? -1 : 1);
			tz_name = xstrdup(zone);
			return LD_OK;
		}
		return err_set(err, LD_EUSAGE, "--tz %s: use UTC, an offset such as +02:00, "
		    "or a zone name such as Europe/Paris", zone);
	}
	/* an IANA name: it must exist in the tz database */
	char path[4096];
	const char *dir = getenv("TZDIR");
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	struct stat st;
	if (strstr(zone, "..") || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return err_set(err, LD_EUSAGE, "--tz %s: no such time zone (use UTC, an offset "
		    "such as +02:00, or a name such as Europe/Paris)", zone);
	setenv("TZ", zone, 1);
	tzset();
	tz_name = xstrdup(zone);
	tz_fixed = 0;
	return LD_OK;
}

const char *
tf_tz(void)
{
	return tz_name;
}

/* A time read without a zone (as if UTC) moved into the --tz zone. */
static int64_t
apply_tz(int64_t t)
{
	if (tz_name == NULL)
		return t;
	if (tz_fixed)
		return t - tz_off * NS_PER_SEC;
	time_t s = (time_t)(t / NS_PER_SEC);
	struct tm tm;
	if (localtime_r(&s, &tm) == NULL)
		return t;
	time_t s2 = s - tm.tm_gmtoff;
	if (localtime_r(&s2, &tm) == NULL)
		return t;
	return t - (int64_t)tm.tm_gmtoff * NS_PER_SEC;
}

/* A timestamp field not read yet (tf_field_time reads it). */
#define TIME_PENDING	(INT64_MIN + 1)

/* ---- small helpers ---- */

/* 1 if p[0..n) is a JSON number (RFC 8259 §6). */
static int
is_json_number(const char *p, size_t n)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i == n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		i++;
		size_t k = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == k)
			return 0;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t k = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == k)
			return 0;
	}
	return i == n;
}

/* A decimal number as people write it: JSON's, and also a leading '+',
 * ".5", "5." (Python's float repr never does; logs sometimes do). */
static int
loose_number(const char *p, size_t n, double *v)
{
	if (n == 0 || n > 64)
		return 0;
	if (is_json_number(p, n)) {
		int ovf;
		*v = jscan_number(p, n, &ovf);
		return !ovf;
	}
	char tmp[72];
	size_t i = 0;
	if (p[0] == '+')
		i = 1;
	int digits = 0, dots = 0;
	for (size_t k = i; k < n; k++) {
		if (p[k] >= '0' && p[k] <= '9')
			digits++;
		else if (p[k] == '.')
			dots++;
		else if (!(k == i && p[k] == '-'))
			return 0;
	}
	if (digits == 0 || dots > 1)
		return 0;
	memcpy(tmp, p + i, n - i);
	tmp[n - i] = '\0';
	*v = strtod(tmp, NULL);
	return isfinite(*v);
}

static int
is_int_text(const char *p, size_t n)
{
	size_t i = (n && (p[0] == '-' || p[0] == '+')) ? 1 : 0;
	if (i == n)
		return 0;
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int
role_by_name(const char *s)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strcmp(role_name((enum role)r), s) == 0)
			return r;
	return -1;
}

/* ---- timestamps ---- */

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	"Aug", "Sep", "Oct", "Nov", "Dec" };

/* RFC 3164 §4.1.2 TIMESTAMP "Mmm dd hh:mm:ss" (day space-padded), year
 * from ref. */
static int
parse_3164(const char *s, size_t n, int64_t ref, int64_t *t)
{
	if (n < 14 || n > 15 || s[3] != ' ')
		return -1;
	int mon = -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			mon = i + 1;
	if (mon < 0)
		return -1;
	const char *d = s + 4;
	size_t dn = n - 4;
	int day;
	if (d[0] == ' ' && d[1] >= '1' && d[1] <= '9')
		day = d[1] - '0';
	else if (d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '9')
		day = (d[0] - '0') * 10 + d[1] - '0';
	else if (d[0] >= '1' && d[0] <= '9' && d[1] == ' ' && dn == 10) {
		day = d[0] - '0';	/* "Feb 7 03:00:00" (unpadded) */
		d--;
		dn++;
	} else
		return -1;
	if (d[2] != ' ' || dn != 11)
		return -1;
	const char *hms = d + 3;
	time_t rs = (time_t)(ref / NS_PER_SEC);
	struct tm tm;
	if (gmtime_r(&rs, &tm) == NULL)
		return -1;
	int year = tm.tm_year + 1900;
	/* the latest year that puts the line at most a day after ref (Feb 29:
	   the last leap year) */
	for (int k = 0; k < 8; k++, year--) {
		char iso[64];
		int64_t v;
		snprintf(iso, sizeof iso, "%04d-%02d-%02dT%.8s", year, mon, day, hms);
		if (time_parse_iso(iso, strlen(iso), &v, NULL) != 0)
			continue;	/* Feb 29 in a year without one: the year before */
		v = apply_tz(v);
		if (v > ref + 86400 * NS_PER_SEC)
			continue;	/* after the file was written: the year before */
		*t = v;
		return 0;
	}
	return -1;
}

/* Read a timestamp field; *naive for times without a zone (none when
 * --tz was given). */
static int
parse_time(enum flayout l, const char *s, size_t n, int64_t ref, int64_t *t, int *naive)
{
	*naive = 0;
	switch (l) {
	case L_5424:
		if (n == 1 && s[0] == '-')
			return -1;
		/* FALLTHROUGH */
	case L_ISO:
		if (time_parse_iso(s, n, t, naive) != 0)
			return -1;
		if (*naive) {
			*t = apply_tz(*t);
			if (tz_name)
				*naive = 0;
		}
		return 0;
	case L_EPOCH: {
		/* seconds with a decimal fraction exactly (no double rounding) */
		size_t i = 0, ip;
		int64_t sec = 0, frac = 0;
		while (i < n && i < 11 && s[i] >= '0' && s[i] <= '9')
			sec = sec * 10 + (s[i++] - '0');
		ip = i;
		if (ip > 0 && ip <= 10 && (i == n || s[i] == '.')) {
			int digits = 0;
			if (i < n)
				i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				if (digits < 9) {
					frac = frac * 10 + (s[i] - '0');
					digits++;
				}
				i++;
			}
			if (i == n) {
				for (; digits < 9; digits++)
					frac *= 10;
				if (sec > (INT64_MAX - frac) / NS_PER_SEC)
					return -1;	/* past 2262: not an int64 ns */
				*t = sec * NS_PER_SEC + frac;
				return 0;
			}
		}
		double v;
		if (!loose_number(s, n, &v) || time_from_epoch_number(v, t) != 0)
			return -1;
		return 0;
	}
	case L_3164:
		if (parse_3164(s, n, ref, t) != 0)
			return -1;
		*naive = tz_name == NULL;
		return 0;
	}
	return -1;
}

/* ---- loading ---- */

static void
pat_free(struct pat *p)
{
	free(p->name);
	free(p->regex);
	if (p->code)
		pcre2_code_free(p->code);
	if (p->gname)
		for (uint32_t i = 0; i <= p->ngroups; i++)
			free(p->gname[i]);
	free(p->gname);
	free(p->gnamelen);
	free(p->spec_of);
	free(p->from_group);
	free(p->same);
}

void
tf_free(struct tf_format *f)
{
	if (f == NULL)
		return;
	free(f->name);
	free(f->description);
	free(f->file);
	free(f->text);
	for (size_t i = 0; i < f->npats; i++)
		pat_free(&f->pats[i]);
	free(f->pats);
	for (size_t i = 0; i < f->nspecs; i++) {
		free(f->specs[i].name);
		free(f->specs[i].field);
		free(f->specs[i].field_from);
	}
	free(f->specs);
	for (int r = 0; r < ROLE_COUNT; r++)
		for (size_t i = 0; i < f->nroles[r]; i++)
			free(f->roles[r][i]);
	for (size_t i = 0; i < f->nlvl; i++) {
		free(f->lvl_from[i]);
		free(f->lvl_to[i]);
	}
	free(f->lvl_from);
	free(f->lvl_to);
	if (f->cont)
		pcre2_code_free(f->cont);
	for (size_t i = 0; i < f->nsame; i++)
		free(f->same[i]);
	free(f->same);
	free(f);
}

/* Context of one load, for messages that point at a key. */
struct ld {
	const char	*text;
	size_t		 n;
	const char	*file;
	struct ld_err	*err;
};

static int ld_fail(struct ld *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE:COL: path: message" */
static int
ld_fail(struct ld *c, const char *path, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	int line = 1, col = 1;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_path_pos(c->text, c->n, path, 0, &line, &col);
	return err_set(c->err, LD_EUSAGE, "%s:%d:%d: %s%s%s", c->file, line, col, path,
	    *path ? ": " : "", msg);
}

static const char *
str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
compile_re(struct ld *c, const char *path, const char *re, pcre2_code **out)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DUPNAMES, &ec, &eo, NULL);
	if (code == NULL) {
		PCRE2_UCHAR m[256];
		pcre2_get_error_message(ec, m, sizeof m);
		return ld_fail(c, path, "the regex does not compile at offset %zu: %s",
		    (size_t)eo, (const char *)m);
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);	/* without JIT: interpreted */
	*out = code;
	return LD_OK;
}

static int
spec_find(const struct tf_format *f, const char *name, size_t n)
{
	if (f->speclenmask && !(f->speclenmask & (UINT64_C(1) << (n & 63))))
		return -1;
	for (size_t i = 0; i < f->nspecs; i++)
		if (f->specs[i].namelen == n && memcmp(f->specs[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static int
load_groups(struct ld *c, struct tf_format *f, json_t *g)
{
	const char *key;
	json_t *v;

	if (g == NULL)
		return LD_OK;
	if (!json_is_object(g))
		return ld_fail(c, "groups", "must be an object of group names");
	f->specs = xcalloc(json_object_size(g) + 1, sizeof *f->specs);
	json_object_foreach(g, key, v) {
		char path[300];
		struct spec *s = &f->specs[f->nspecs++];
		snprintf(path, sizeof path, "groups.%s", key);
		s->name = xstrdup(key);
		s->namelen = strlen(key);
		s->role = -1;
		if (!json_is_object(v))
			return ld_fail(c, path, "must be an object (field, type, role, parse)");
		const char *k2;
		json_t *x;
		json_object_foreach(v, k2, x) {
			char p2[340];
			snprintf(p2, sizeof p2, "%s.%s", path, k2);
			if (strcmp(k2, "field") && strcmp(k2, "field_from") && strcmp(k2, "type") &&
			    strcmp(k2, "layout") && strcmp(k2, "role") && strcmp(k2, "parse") &&
			    strcmp(k2, "description") && strcmp(k2, "sd_names"))
				return ld_fail(c, p2, "unknown key (field, field_from, type, layout, "
				    "role, parse, sd_names)");
			if (!json_is_string(x) || json_string_length(x) == 0)
				return ld_fail(c, p2, "must be a non-empty string");
		}
		const char *s1;
		if ((s1 = str_of(v, "sd_names")) != NULL) {
			if (strcmp(s1, "param") && strcmp(s1, "id.param"))
				return ld_fail(c, (snprintf(path + strlen(path), 12, ".sd_names"), path),
				    "use param or id.param");
			s->sd_prefix = strcmp(s1, "id.param") == 0;
		}
		if ((s1 = str_of(v, "field")) != NULL) {
			s->field = xstrdup(s1);
			s->fieldlen = strlen(s1);
		}
		if ((s1 = str_of(v, "field_from")) != NULL)
			s->field_from = xstrdup(s1);
		if ((s1 = str_of(v, "type")) != NULL) {
			static const char *const tn[] = { "string", "integer", "float", "boolean",
				"timestamp", "syslog_priority" };
			int k;
			for (k = 0; k < 6 && strcmp(tn[k], s1); k++)
				;
			if (k == 6)
				return ld_fail(c, (snprintf(path + strlen(path), 8, ".type"), path),
				    "unknown type '%s' (string, integer, float, boolean, timestamp, "
				    "syslog_priority)", s1);
			s->type = (enum ftype)k;
		}
		if ((s1 = str_of(v, "layout")) != NULL) {
			static const char *const ln[] = { "iso8601", "epoch", "rfc5424", "rfc3164" };
			int k;
			for (k = 0; k < 4 && strcmp(ln[k], s1); k++)
				;
			if (k == 4)
				return ld_fail(c, (snprintf(path + strlen(path), 10, ".layout"), path),
				    "unknown layout '%s' (iso8601, epoch, rfc5424, rfc3164)", s1);
			s->layout = (enum flayout)k;
			if (s->layout == L_3164)
				f->infers_year = 1;
		} else if (s->type == T_TIME)
			return ld_fail(c, path, "a timestamp needs a layout (iso8601, epoch, "
			    "rfc5424, rfc3164)");
		if ((s1 = str_of(v, "role")) != NULL && (s->role = role_by_name(s1)) < 0)
			return ld_fail(c, (snprintf(path + strlen(path), 8, ".role"), path),
			    "unknown role '%s' (time, trace_id, request_id, service, level, event, "
			    "latency, group, version, confidence, cache_hit, drift, message)", s1);
		if ((s1 = str_of(v, "parse")) != NULL) {
			static const char *const pn[] = { "none", "json", "logfmt", "kv", "sd",
				"auto" };
			int k;
			for (k = 0; k < 6 && strcmp(pn[k], s1); k++)
				;
			if (k == 6)
				return ld_fail(c, (snprintf(path + strlen(path), 8, ".parse"), path),
				    "unknown parse '%s' (json, logfmt, kv, sd, auto)", s1);
			s->parse = (enum fparse)k;
		}
	}
	return LD_OK;
}

static int
load_patterns(struct ld *c, struct tf_format *f, json_t *a)
{
	if (!json_is_array(a) || json_array_size(a) == 0)
		return ld_fail(c, "patterns", "needs an array of one or more {\"name\", \"regex\"}");
	f->pats = xcalloc(json_array_size(a), sizeof *f->pats);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i);
		char path[64];
		struct pat *p = &f->pats[f->npats++];
		snprintf(path, sizeof path, "patterns[%zu]", i);
		const char *re = json_is_object(o) ? str_of(o, "regex") : NULL;
		if (re == NULL)
			return ld_fail(c, path, "needs a \"regex\" string");
		const char *nm = str_of(o, "name");
		char dflt[32];
		snprintf(dflt, sizeof dflt, "%zu", i);
		p->name = xstrdup(nm ? nm : dflt);
		p->regex = xstrdup(re);
		snprintf(path, sizeof path, "patterns[%zu].regex", i);
		/* A final (?<X>.*)$ (the rest of the line) is not run through the
		   matcher: (?<X>) there, extended to the end of the line after the
		   match. Same result on a line ('.' matches all but a newline), and
		   a message with invalid UTF-8 still matches. */
		char *fast = NULL;
		size_t rl = strlen(re);
		const char *q = rl >= 8 ? strstr(re + (rl > 64 ? rl - 64 : 0), "(?<") : NULL;
		while (q && strstr(q + 3, "(?<"))
			q = strstr(q + 3, "(?<");
		if (q && q > re && q[-1] != '\\') {
			const char *gt = strchr(q + 3, '>');
			if (gt && (strcmp(gt + 1, ".*)$") == 0 || strcmp(gt + 1, ".*)") == 0)) {
				fast = xmalloc(rl + 1);
				memcpy(fast, re, (size_t)(gt + 1 - re));
				strcpy(fast + (gt + 1 - re), ")");
			}
		}
		if (fast && compile_re(c, path, fast, &p->code) == LD_OK) {
			char name[64];
			size_t nl = (size_t)(strchr(q + 3, '>') - (q + 3));
			if (nl < sizeof name) {
				memcpy(name, q + 3, nl);
				name[nl] = '\0';
				int g = pcre2_substring_number_from_name(p->code, (PCRE2_SPTR)name);
				p->tail = g > 0 ? g : 0;
			}
			if (p->tail == 0) {
				pcre2_code_free(p->code);
				p->code = NULL;
			}
		}
		free(fast);
		if (p->code == NULL && compile_re(c, path, re, &p->code) != LD_OK)
			return LD_EUSAGE;
		pcre2_pattern_info(p->code, PCRE2_INFO_CAPTURECOUNT, &p->ngroups);
		p->gname = xcalloc(p->ngroups + 1, sizeof *p->gname);
		p->gnamelen = xcalloc(p->ngroups + 1, sizeof *p->gnamelen);
		p->spec_of = xcalloc(p->ngroups + 1, sizeof *p->spec_of);
		p->from_group = xcalloc(p->ngroups + 1, sizeof *p->from_group);
		p->same = xcalloc(f->nsame + 1, sizeof *p->same);
		for (uint32_t g = 0; g <= p->ngroups; g++)
			p->spec_of[g] = p->from_group[g] = -1;
		uint32_t count, esize;
		PCRE2_SPTR table;
		pcre2_pattern_info(p->code, PCRE2_INFO_NAMECOUNT, &count);
		pcre2_pattern_info(p->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
		pcre2_pattern_info(p->code, PCRE2_INFO_NAMETABLE, &table);
		for (uint32_t k = 0; k < count; k++) {
			const unsigned char *e = table + k * esize;
			uint32_t g = ((uint32_t)e[0] << 8) | e[1];
			if (g > p->ngroups || p->gname[g])
				continue;
			p->gname[g] = xstrdup((const char *)e + 2);
			p->gnamelen[g] = strlen(p->gname[g]);
			p->spec_of[g] = spec_find(f, p->gname[g], p->gnamelen[g]);
		}
		int nnamed = 0;
		for (uint32_t g = 1; g <= p->ngroups; g++) {
			if (p->gname[g] == NULL)
				continue;
			nnamed++;
			int s = p->spec_of[g];
			if (s >= 0 && f->specs[s].field_from) {
				int fg = pcre2_substring_number_from_name(p->code,
				    (PCRE2_SPTR)f->specs[s].field_from);
				if (fg <= 0)
					return ld_fail(c, path, "group %s takes its field name from "
					    "group %s, which the regex does not have", p->gname[g],
					    f->specs[s].field_from);
				p->from_group[g] = fg;
			}
		}
		if (nnamed == 0)
			return ld_fail(c, path, "the regex has no named group (?<name>...)");
		for (size_t k = 0; k < f->nsame; k++) {
			int fg = pcre2_substring_number_from_name(p->code, (PCRE2_SPTR)f->same[k]);
			p->same[k] = fg > 0 ? fg : -1;
		}
	}
	return LD_OK;
}

static int
load_roles(struct ld *c, struct tf_format *f, json_t *o)
{
	const char *key;
	json_t *v;
	if (o == NULL)
		return LD_OK;
	if (!json_is_object(o))
		return ld_fail(c, "roles", "must be an object of role names to paths");
	json_object_foreach(o, key, v) {
		char path[64];
		int r = role_by_name(key);
		snprintf(path, sizeof path, "roles.%s", key);
		if (r < 0)
			return ld_fail(c, path, "unknown role");
		if (json_is_string(v)) {
			f->rolelen[r][f->nroles[r]] = strlen(json_string_value(v));
			f->roles[r][f->nroles[r]++] = xstrdup(json_string_value(v));
			continue;
		}
		if (!json_is_array(v) || json_array_size(v) == 0 ||
		    json_array_size(v) > MAPPING_MAX_CANDIDATES)
			return ld_fail(c, path, "must be a path or an array of 1 to %d paths",
			    MAPPING_MAX_CANDIDATES);
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *x = json_array_get(v, i);
			if (!json_is_string(x))
				return ld_fail(c, path, "must hold path strings");
			f->rolelen[r][f->nroles[r]] = strlen(json_string_value(x));
			f->roles[r][f->nroles[r]++] = xstrdup(json_string_value(x));
		}
	}
	return LD_OK;
}

static int check_samples(struct ld *c, struct tf_format *f, json_t *a);

int
tf_load_text(const char *text, size_t n, const char *file, enum tf_origin origin,
    struct tf_format **out, struct ld_err *err)
{
	json_error_t je;
	struct ld c = { text, n, file, err };
	struct tf_format *f;
	json_t *o = json_loadb(text, n, 0, &je);
	int rc = LD_EUSAGE;

	*out = NULL;
	if (o == NULL)
		return err_set(err, LD_EUSAGE, "%s:%d:%d: %s", file, je.line, je.column, je.text);
	f = xcalloc(1, sizeof *f);
	f->text = xmalloc(n + 1);
	memcpy(f->text, text, n);
	f->text[n] = '\0';
	f->textlen = n;
	f->origin = origin;
	if (!json_is_object(o)) {
		ld_fail(&c, "", "a format is a JSON object");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		static const char *const known[] = { "logdive_format", "name", "description",
			"patterns", "groups", "roles", "levels", "continuation", "samples", NULL };
		int k;
		for (k = 0; known[k] && strcmp(known[k], key); k++)
			;
		if (known[k] == NULL) {
			ld_fail(&c, key, "unknown key (logdive_format, name, description, patterns, "
			    "groups, roles, levels, continuation, samples)");
			goto out;
		}
	}
	v = json_object_get(o, "logdive_format");
	if (!json_is_integer(v)) {
		ld_fail(&c, "logdive_format", "missing: a format file starts with "
		    "\"logdive_format\": %d", TF_VERSION);
		goto out;
	}
	if (json_integer_value(v) > TF_VERSION || json_integer_value(v) < 1) {
		ld_fail(&c, "logdive_format", "version %lld is not supported (this logdive reads "
		    "%d)", (long long)json_integer_value(v), TF_VERSION);
		goto out;
	}
	const char *nm = str_of(o, "name");
	if (nm == NULL || !preset_name_ok(nm)) {
		ld_fail(&c, "name", "needs a name of letters, digits, '.', '_' and '-'");
		goto out;
	}
	f->name = xstrdup(nm);
	if (file && strcmp(file, "-") != 0) {
		const char *b = strrchr(file, '/');
		b = b ? b + 1 : file;
		size_t bl = strlen(b);
		if (bl > 5 && strcmp(b + bl - 5, ".json") == 0 &&
		    (bl - 5 != strlen(nm) || strncmp(b, nm, bl - 5) != 0)) {
			ld_fail(&c, "name", "'%s' differs from the file name", nm);
			goto out;
		}
	}
	f->description = xstrdup(str_of(o, "description") ? str_of(o, "description") : "");
	if (load_groups(&c, f, json_object_get(o, "groups")) != LD_OK)
		goto out;
	json_t *ct = json_object_get(o, "continuation");
	if (ct) {
		if (!json_is_object(ct)) {
			ld_fail(&c, "continuation", "must be an object (regex, same, after_error)");
			goto out;
		}
		const char *re = str_of(ct, "regex");
		if (re && compile_re(&c, "continuation.regex", re, &f->cont) != LD_OK)
			goto out;
		json_t *same = json_object_get(ct, "same");
		if (same) {
			if (!json_is_array(same)) {
				ld_fail(&c, "continuation.same", "must be an array of group names");
				goto out;
			}
			f->same = xcalloc(json_array_size(same) + 1, sizeof *f->same);
			for (size_t i = 0; i < json_array_size(same); i++) {
				const char *s = json_string_value(json_array_get(same, i));
				if (s == NULL) {
					ld_fail(&c, "continuation.same", "must hold group names");
					goto out;
				}
				f->same[f->nsame++] = xstrdup(s);
			}
		}
		f->after_error = json_is_true(json_object_get(ct, "after_error"));
	}
	if (load_patterns(&c, f, json_object_get(o, "patterns")) != LD_OK)
		goto out;
	if (load_roles(&c, f, json_object_get(o, "roles")) != LD_OK)
		goto out;
	json_t *lv = json_object_get(o, "levels");
	if (lv) {
		if (!json_is_object(lv)) {
			ld_fail(&c, "levels", "must be an object such as {\"WARNING\": \"WARN\"}");
			goto out;
		}
		f->lvl_from = xcalloc(json_object_size(lv) + 1, sizeof *f->lvl_from);
		f->lvl_to = xcalloc(json_object_size(lv) + 1, sizeof *f->lvl_to);
		json_object_foreach(lv, key, v) {
			if (!json_is_string(v)) {
				char path[300];
				snprintf(path, sizeof path, "levels.%s", key);
				ld_fail(&c, path, "must be a level name string");
				goto out;
			}
			f->lvl_from[f->nlvl] = xstrdup(key);
			f->lvl_to[f->nlvl++] = xstrdup(json_string_value(v));
		}
	}
	for (size_t i = 0; i < f->nspecs; i++) {
		char path[300];
		snprintf(path, sizeof path, "groups.%s.field_from", f->specs[i].name);
		if (f->specs[i].field_from && spec_find(f, f->specs[i].field_from,
		    strlen(f->specs[i].field_from)) == (int)i) {
			ld_fail(&c, path, "a group cannot name itself");
			goto out;
		}
	}
	uint64_t h = fnv1a64(FNV1A64_INIT, text, n);
	f->hash = h;
	for (size_t i = 0; i < f->nspecs; i++) {
		if (f->specs[i].role >= 0)
			f->has_role[f->specs[i].role] = 1;
		f->speclenmask |= UINT64_C(1) << (f->specs[i].namelen & 63);
	}
	for (int ro = 0; ro < ROLE_COUNT; ro++)
		if (f->nroles[ro])
			f->has_role[ro] = 1;
	if (check_samples(&c, f, json_object_get(o, "samples")) != LD_OK)
		goto out;
	rc = LD_OK;
out:
	json_decref(o);
	if (rc != LD_OK)
		tf_free(f);
	else
		*out = f;
	return rc;
}

int
tf_load_file(const char *path, enum tf_origin origin, struct tf_format **out,
    struct ld_err *err)
{
	FILE *fp = fopen(path, "rb");
	*out = NULL;
	if (fp == NULL)
		return err_set(err, LD_EUSAGE, "cannot read %s: %s", path, strerror(errno));
	char *text = xmalloc(TF_FILE_MAX + 1);
	size_t n = fread(text, 1, TF_FILE_MAX + 1, fp);
	int bad = ferror(fp);
	fclose(fp);
	int rc;
	if (bad)
		rc = err_set(err, LD_EUSAGE, "cannot read %s", path);
	else if (n > TF_FILE_MAX)
		rc = err_set(err, LD_EUSAGE, "%s: larger than %d bytes", path, TF_FILE_MAX);
	else {
		rc = tf_load_text(text, n, path, origin, out, err);
		if (rc == LD_OK)
			(*out)->file = xstrdup(path);
	}
	free(text);
	return rc;
}

const char *tf_name(const struct tf_format *f) { return f->name; }
const char *tf_description(const struct tf_format *f) { return f->description; }
const char *tf_file(const struct tf_format *f) { return f->file; }
enum tf_origin tf_origin(const struct tf_format *f) { return f->origin; }
int tf_infers_year(const struct tf_format *f) { return f->infers_year; }
size_t tf_npatterns(const struct tf_format *f) { return f->npats; }
const char *tf_pattern_name(const struct tf_format *f, size_t i) { return f->pats[i].name; }
const char *tf_pattern_regex(const struct tf_format *f, size_t i) { return f->pats[i].regex; }
int tf_join_after_error(const struct tf_format *f) { return f->after_error; }

uint64_t
tf_hash(const struct tf_format *f)
{
	uint64_t h = f->hash;
	if (tz_name)
		h = fnv1a64(h, tz_name, strlen(tz_name));
	return h ? h : 1;
}

/* ---- sets ---- */

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
tf_set_load(struct tf_set *set, const char *const *dirs, const enum tf_origin *origins,
    size_t ndirs, tf_warn_fn warn, void *warnarg)
{
	size_t bad = 0;
	for (size_t d = 0; d < ndirs; d++) {
		DIR *dp = opendir(dirs[d]);
		if (dp == NULL)
			continue;
		char **names = NULL;
		size_t nn = 0;
		struct dirent *e;
		while ((e = readdir(dp)) != NULL) {
			size_t l = strlen(e->d_name);
			if (l <= 5 || e->d_name[0] == '.' || strcmp(e->d_name + l - 5, ".json") != 0)
				continue;
			names = xreallocarray(names, nn + 1, sizeof *names);
			names[nn++] = xstrdup(e->d_name);
		}
		closedir(dp);
		if (nn > 1)
			qsort(names, nn, sizeof *names, cmp_name);
		for (size_t i = 0; i < nn; i++) {
			size_t l = strlen(names[i]) - 5;
			int shadowed = 0;
			for (size_t k = 0; k < set->n; k++)
				if (strlen(set->v[k]->name) == l &&
				    strncmp(set->v[k]->name, names[i], l) == 0)
					shadowed = 1;
			if (!shadowed) {
				char *path = xasprintf("%s/%s", dirs[d], names[i]);
				struct tf_format *f;
				struct ld_err err;
				err_clear(&err);
				if (tf_load_file(path, origins[d], &f, &err) == LD_OK) {
					set->v = xreallocarray(set->v, set->n + 1, sizeof *set->v);
					set->v[set->n++] = f;
				} else {
					bad++;
					if (warn) {
						char line[700];
						snprintf(line, sizeof line, "format skipped: %s",
						    err.msg);
						warn(warnarg, line);
					}
				}
				free(path);
			}
			free(names[i]);
		}
		free(names);
	}
	return bad;
}

size_t
tf_set_load_default(struct tf_set *set, tf_warn_fn warn, void *warnarg)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *dirs[2];
	enum tf_origin o[2] = { TF_USER, TF_SHIPPED };
	size_t n = 0;
	if (x && *x)
		dirs[n++] = xasprintf("%s/logdive/formats", x);
	else if (home && *home)
		dirs[n++] = xasprintf("%s/.config/logdive/formats", home);
	else
		o[0] = TF_SHIPPED;
	dirs[n++] = preset_shipped_dir("formats");
	if (n == 1)
		o[0] = TF_SHIPPED;
	size_t bad = tf_set_load(set, (const char *const *)dirs, n == 2 ? o : o + 1, n, warn,
	    warnarg);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	return bad;
}

void
tf_set_free(struct tf_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		tf_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

const struct tf_format *
tf_set_find(const struct tf_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}

char *
tf_set_names(const struct tf_set *set)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "json");
	for (size_t i = 0; i < set->n; i++) {
		buf_adds(&b, ", ");
		buf_adds(&b, set->v[i]->name);
	}
	return buf_detach(&b);
}

/* ---- matching ---- */

void
tf_rec_init(struct tf_rec *r)
{
	memset(r, 0, sizeof *r);
	r->pat = -1;
	r->md = pcre2_match_data_create(128, NULL);
	if (r->md == NULL)
		fatal("out of memory");
}

void
tf_rec_free(struct tf_rec *r)
{
	if (r->md)
		pcre2_match_data_free(r->md);
	r->md = NULL;
}

static int
re_match(const pcre2_code *code, void *md, const char *s, size_t n)
{
	int rc = pcre2_jit_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	if (rc == PCRE2_ERROR_JIT_BADOPTION)
		rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	return rc;
}

static struct tf_field *
add_field(struct tf_rec *r, const char *name, size_t namelen, int spec)
{
	if (r->nf == TF_MAX_FIELDS)
		return NULL;
	struct tf_field *fl = &r->f[r->nf++];
	memset(fl, 0, sizeof *fl);
	r->lenmask |= UINT64_C(1) << (namelen & 63);
	fl->name = name;
	fl->namelen = (uint32_t)namelen;
	fl->spec = (int16_t)spec;
	fl->t = TIME_NONE;
	return fl;
}

/* Set fl's value from text by the spec's type (or inferred, infer=1). */
static void
set_value(struct tf_rec *r, struct tf_field *fl, const struct spec *s, const char *p, size_t n,
    int infer)
{
	double v;
	fl->v.p = p;
	fl->v.len = (uint32_t)n;
	fl->v.type = JV_STRING;
	fl->v.escaped = 0;
	fl->v.overflow = 0;
	enum ftype t = s ? s->type : T_STRING;
	if (s == NULL && infer) {
		if ((n == 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "True", 4) == 0)))
			fl->v.type = JV_TRUE;
		else if (n == 5 && (memcmp(p, "false", 5) == 0 || memcmp(p, "False", 5) == 0))
			fl->v.type = JV_FALSE;
		else if ((n == 4 && (memcmp(p, "null", 4) == 0 || memcmp(p, "None", 4) == 0)))
			fl->v.type = JV_NULL;
		else if (is_json_number(p, n)) {
			int ovf;
			fl->v.num = jscan_number(p, n, &ovf);
			fl->v.overflow = (uint8_t)ovf;
			fl->v.type = JV_NUMBER;
		} else if (n >= 2 && p[0] == '[' && p[n - 1] == ']')
			fl->v.type = JV_ARRAY;
		return;
	}
	switch (t) {
	case T_STRING:
		break;
	case T_INT:
	case T_PRI:
		if (is_int_text(p, n) && loose_number(p, n, &v)) {
			fl->v.type = JV_NUMBER;
			fl->v.num = v;
		}
		break;
	case T_FLOAT:
		if (loose_number(p, n, &v)) {
			fl->v.type = JV_NUMBER;
			fl->v.num = v;
		}
		break;
	case T_BOOL:
		if (n == 4 && strncasecmp(p, "true", 4) == 0)
			fl->v.type = JV_TRUE;
		else if (n == 5 && strncasecmp(p, "false", 5) == 0)
			fl->v.type = JV_FALSE;
		break;
	case T_TIME:
		fl->is_time = 1;	/* read when asked: tf_field_time */
		fl->t = TIME_PENDING;
		break;
	}
}

/* A key read from a body: described by the spec of that name, if any. */
static struct tf_field *
add_key(struct tf_rec *r, const char *k, size_t kn, const char *p, size_t n, int quoted,
    int escaped)
{
	const struct tf_format *f = r->fmt;
	int si = spec_find(f, k, kn);
	const struct spec *s = si >= 0 ? &f->specs[si] : NULL;
	struct tf_field *fl;
	if (s && s->field)
		fl = add_field(r, s->field, s->fieldlen, si);
	else
		fl = add_field(r, k, kn, si);
	if (fl == NULL)
		return NULL;
	if (quoted && (s == NULL || s->type == T_STRING)) {
		fl->v = (struct jv){ .type = JV_STRING, .escaped = (uint8_t)escaped,
			.len = (uint32_t)n, .p = p };
		return fl;
	}
	set_value(r, fl, s, p, n, 1);
	if (fl->v.type == JV_STRING)
		fl->v.escaped = (uint8_t)escaped;
	return fl;
}

static int
key_char(unsigned char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/');
}

/* logfmt / key=value: tokens separated by blanks; "k=v", "k=\"v\"",
 * "k=[a, b]"; other words are skipped. Returns the pairs read. */
static int
parse_logfmt(struct tf_rec *r, const char *p, size_t n)
{
	size_t i = 0;
	int pairs = 0;
	while (i < n) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		size_t k0 = i;
		while (i < n && key_char((unsigned char)p[i], i == k0))
			i++;
		if (i == k0 || i >= n || p[i] != '=') {
			/* not a pair: skip the word (a quoted one whole) */
			if (i < n && p[i] == '"') {
				for (i++; i < n && p[i] != '"'; i++)
					if (p[i] == '\\')
						i++;
				i++;
			}
			while (i < n && p[i] != ' ' && p[i] != '\t')
				i++;
			continue;
		}
		size_t kn = i - k0;
		i++;
		if (i < n && p[i] == '"') {
			size_t v0 = ++i;
			int esc = 0;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\') {
					esc = 1;
					i++;
				}
				i++;
			}
			if (i > n)
				i = n;
			add_key(r, p + k0, kn, p + v0, i - v0, 1, esc);
			i++;
		} else if (i < n && p[i] == '[') {
			size_t v0 = i;
			int depth = 0;
			for (; i < n; i++) {
				if (p[i] == '[')
					depth++;
				else if (p[i] == ']' && --depth == 0) {
					i++;
					break;
				}
			}
			add_key(r, p + k0, kn, p + v0, i - v0, 0, 0);
		} else {
			size_t v0 = i;
			while (i < n && p[i] != ' ' && p[i] != '\t')
				i++;
			add_key(r, p + k0, kn, p + v0, i - v0, 0, 0);
		}
		pairs++;
	}
	return pairs;
}

/* "k:v,k2:v2" pairs (TorchServe metric dimensions). */
static int
parse_kv(struct tf_rec *r, const char *p, size_t n)
{
	size_t i = 0;
	int pairs = 0;
	while (i < n) {
		size_t a = i;
		while (i < n && p[i] != ',')
			i++;
		const char *c = memchr(p + a, ':', i - a);
		if (c && c > p + a) {
			size_t kn = (size_t)(c - (p + a));
			add_key(r, p + a, kn, c + 1, (size_t)(p + i - (c + 1)), 0, 0);
			pairs++;
		}
		i++;
	}
	return pairs;
}

/* RFC 5424 §6.3 STRUCTURED-DATA: "-" or [SD-ID PARAM="VALUE" ...]...;
 * a parameter becomes the field PARAM ([meta@32473 latency_ms="87"] ->
 * latency_ms), or with prefix ID.PARAM, the ID cut at its '@' (the
 * enterprise number): meta.latency_ms. Values are typed by looks. */
static int
parse_sd(struct tf_rec *r, const char *p, size_t n, int prefix)
{
	size_t i = 0;
	int pairs = 0;
	while (i < n && p[i] == '[') {
		size_t id0 = ++i;
		while (i < n && p[i] != ' ' && p[i] != ']')
			i++;
		const char *at = memchr(p + id0, '@', i - id0);
		size_t idn = at ? (size_t)(at - (p + id0)) : i - id0;
		while (i < n && p[i] != ']') {
			while (i < n && p[i] == ' ')
				i++;
			size_t k0 = i;
			while (i < n && p[i] != '=' && p[i] != ' ' && p[i] != ']')
				i++;
			if (i >= n || p[i] != '=' || i + 1 >= n || p[i + 1] != '"')
				break;
			size_t kn = i - k0;
			i += 2;
			size_t v0 = i;
			int esc = 0;
			while (i < n && p[i] != '"') {
				if (p[i] == '\\') {
					esc = 1;
					i++;
				}
				i++;
			}
			size_t vn = (i < n ? i : n) - v0;
			i++;
			if (!prefix) {
				add_key(r, p + k0, kn, p + v0, vn, 0, esc);
				pairs++;
				continue;
			}
			size_t need = idn + 1 + kn;
			if (r->arenalen + need <= sizeof r->arena) {
				char *nm = r->arena + r->arenalen;
				memcpy(nm, p + id0, idn);
				nm[idn] = '.';
				memcpy(nm + idn + 1, p + k0, kn);
				r->arenalen += need;
				/* RFC 5424 escapes only " \ ]: JSON unescaping reads \" and \\ */
				add_key(r, nm, need, p + v0, vn, 0, esc);
				pairs++;
			}
		}
		while (i < n && p[i] != ']')
			i++;
		i++;
	}
	return pairs;
}

static int
parse_body(struct tf_rec *r, const struct spec *s, const char *p, size_t n)
{
	size_t a = 0, b = n;
	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
		b--;
	switch (s->parse) {
	case P_JSON:
	case P_AUTO:
		/* an object: checked when first read (json_settle), so that a valid
		   body is scanned once, by tf_extract */
		if (b > a && p[a] == '{' && p[b - 1] == '}' && r->json == NULL) {
			r->json = p + a;
			r->jsonlen = b - a;
			r->json_unchecked = 1;
			r->json_spec = (int16_t)(s - r->fmt->specs);
			r->json_raw = p;
			r->json_rawlen = n;
			return 2;	/* the group itself is no field */
		}
		if (s->parse == P_AUTO)
			return parse_logfmt(r, p + a, b - a) > 0;
		return 0;
	case P_LOGFMT:
		return parse_logfmt(r, p + a, b - a) > 0;
	case P_KV:
		parse_kv(r, p + a, b - a);
		return 2;
	case P_SD:
		parse_sd(r, p + a, b - a, s->sd_prefix);
		return 2;
	case P_NONE:
		break;
	}
	return 0;
}

/* The body seen as an object is (valid 1) or is not (0) one: if not, it
 * becomes what the group gives as text (a field; key=value pairs for
 * parse auto). */
static void
json_settle(struct tf_rec *r, int valid)
{
	r->json_unchecked = 0;
	if (valid)
		return;
	const struct spec *s = &r->fmt->specs[r->json_spec];
	r->json = NULL;
	r->jsonlen = 0;
	if (s->parse == P_AUTO)
		parse_logfmt(r, r->json_raw, r->json_rawlen);
	struct tf_field *fl = add_field(r, s->field ? s->field : s->name,
	    strlen(s->field ? s->field : s->name), r->json_spec);
	if (fl)
		set_value(r, fl, s, r->json_raw, r->json_rawlen, 0);
}

void
tf_check_json(struct tf_rec *r)
{
	if (r->json_unchecked)
		json_settle(r, jscan_line(NULL, r->json, r->jsonlen, NULL, NULL) == JSCAN_OK);
}

int
tf_parse(const struct tf_format *f, struct tf_rec *r, const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	size_t n = nl ? (size_t)(nl - text) : len;
	if (n > 0 && text[n - 1] == '\r')
		n--;
	r->fmt = f;
	r->pat = -1;
	r->nf = 0;
	r->json = NULL;
	r->jsonlen = 0;
	r->line = text;
	r->linelen = n;
	r->arenalen = 0;
	r->json_unchecked = 0;
	r->lenmask = 0;
	for (size_t i = 0; i < f->npats; i++) {
		const struct pat *p = &f->pats[i];
		if (re_match(p->code, r->md, text, n) <= 0)
			continue;
		r->pat = (int)i;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
		if (p->tail > 0 && ov[2 * p->tail] != PCRE2_UNSET)
			ov[2 * p->tail + 1] = n;
		for (uint32_t g = 1; g <= p->ngroups; g++) {
			if (p->gname[g] == NULL || ov[2 * g] == PCRE2_UNSET)
				continue;
			const char *s = text + ov[2 * g];
			size_t sn = ov[2 * g + 1] - ov[2 * g];
			int si = p->spec_of[g];
			const struct spec *sp = si >= 0 ? &f->specs[si] : NULL;
			if (sp && sp->parse != P_NONE && parse_body(r, sp, s, sn) == 2)
				continue;
			struct tf_field *fl;
			if (p->from_group[g] > 0) {
				int fg = p->from_group[g];
				if (ov[2 * fg] == PCRE2_UNSET || ov[2 * fg + 1] == ov[2 * fg])
					continue;
				fl = add_field(r, text + ov[2 * fg], ov[2 * fg + 1] - ov[2 * fg], si);
			} else if (sp && sp->field)
				fl = add_field(r, sp->field, sp->fieldlen, si);
			else
				fl = add_field(r, p->gname[g], p->gnamelen[g], si);
			if (fl)
				set_value(r, fl, sp, s, sn, 0);
		}
		return 1;
	}
	return 0;
}

int
tf_is_continuation(const struct tf_format *f, struct tf_rec *scratch, const char *line,
    size_t len)
{
	if (f->cont == NULL)
		return 0;
	return re_match(f->cont, scratch->md, line, len) > 0;
}

int
tf_join_key(const struct tf_format *f, const struct tf_rec *r, struct buf *out)
{
	buf_reset(out);
	if (f->nsame == 0 || r->pat < 0)
		return 0;
	const struct pat *p = &f->pats[r->pat];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	for (size_t k = 0; k < f->nsame; k++) {
		int g = p->same[k];
		if (g <= 0 || ov[2 * g] == PCRE2_UNSET) {
			buf_reset(out);
			return 0;
		}
		buf_add(out, r->line + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
		buf_addc(out, '\x1f');
	}
	return r->json == NULL;
}

/* ---- reading fields back ---- */

int64_t
tf_field_time(const struct tf_rec *r, struct tf_field *fl)
{
	if (fl->is_time && fl->t == TIME_PENDING) {
		int naive = 0;
		const struct spec *s = &r->fmt->specs[fl->spec];
		if (fl->v.type != JV_STRING ||
		    parse_time(s->layout, fl->v.p, fl->v.len, r->ref, &fl->t, &naive) != 0)
			fl->t = TIME_NONE;
		fl->naive = (uint8_t)naive;
	}
	return fl->t;
}

static const struct tf_field *
field_find(const struct tf_rec *r, const char *path, size_t n)
{
	if (!(r->lenmask & (UINT64_C(1) << (n & 63))) || n == 0)
		return NULL;		/* no field of that length */
	for (size_t i = r->nf; i-- > 0;)
		if (r->f[i].namelen == n && r->f[i].name[0] == path[0] &&
		    memcmp(r->f[i].name, path, n) == 0)
			return &r->f[i];
	return NULL;
}

/* The elements of a "[a, b]" value (numbers, quoted strings, words). */
static size_t
array_elems(const struct jv *a, struct jv *out, size_t max)
{
	const char *p = a->p + 1, *end = a->p + a->len - 1;
	size_t n = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p >= end)
			break;
		const char *q = p;
		struct jv v = { .type = JV_STRING };
		if (*p == '"' || *p == '\'') {
			char qc = *p;
			q = ++p;
			while (q < end && *q != qc)
				q++;
			v.p = p;
			v.len = (uint32_t)(q - p);
			if (q < end)
				q++;
		} else {
			while (q < end && *q != ',')
				q++;
			const char *e = q;
			while (e > p && e[-1] == ' ')
				e--;
			v.p = p;
			v.len = (uint32_t)(e - p);
			if (is_json_number(p, v.len)) {
				int ovf;
				v.type = JV_NUMBER;
				v.num = jscan_number(p, v.len, &ovf);
				v.overflow = (uint8_t)ovf;
			} else if (v.len == 4 && (!memcmp(p, "true", 4) || !memcmp(p, "True", 4)))
				v.type = JV_TRUE;
			else if (v.len == 5 && (!memcmp(p, "false", 5) || !memcmp(p, "False", 5)))
				v.type = JV_FALSE;
		}
		if (n < max)
			out[n] = v;
		n++;
		p = q;
	}
	return n;
}

size_t
tf_get(const struct tf_rec *r, const char *path, struct jv *out, size_t max)
{
	tf_check_json((struct tf_rec *)r);	/* scratch the caller owns */
	if (r->json) {
		size_t n = jscan_get(r->json, r->jsonlen, path, out, max);
		if (n)
			return n;
	}
	const struct tf_field *fl = field_find(r, path, strlen(path));
	if (fl == NULL || fl->v.type == JV_MISSING)
		return 0;
	if (fl->v.type == JV_ARRAY)
		return array_elems(&fl->v, out, max);
	if (max)
		out[0] = fl->v;
	return 1;
}

/* The level map's name for v's text; a key's 'x' matches any digit
 * ("5xx": an HTTP status 500..599). */
static const char *
level_mapped(const struct tf_format *f, const struct jv *v, size_t *n)
{
	for (size_t i = 0; i < f->nlvl; i++) {
		const char *k = f->lvl_from[i];
		if (strlen(k) != v->len)
			continue;
		size_t j;
		for (j = 0; j < v->len; j++)
			if (k[j] != v->p[j] && !(k[j] == 'x' && v->p[j] >= '0' && v->p[j] <= '9'))
				break;
		if (j == v->len) {
			*n = strlen(f->lvl_to[i]);
			return f->lvl_to[i];
		}
	}
	return NULL;
}

/* RFC 5424 §6.2.1 severity (PRI mod 8) as a level name. */
static const char *
severity_level(double pri)
{
	static const char *const names[8] = { "ERROR", "ERROR", "ERROR", "ERROR", "WARN",
		"INFO", "INFO", "DEBUG" };
	long p = (long)pri;
	return p >= 0 && p <= 191 ? names[p % 8] : NULL;
}

int
tf_extract(const struct tf_format *f, struct tf_rec *r, const struct mapping *m,
    const struct jscan_paths *ps, const char *const *paths, size_t npaths,
    const int role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES], struct jv *out, int64_t *t,
    int *naive, uint64_t *shape)
{
	const struct tf_field *src[JSCAN_MAX_PATHS];
	uint64_t jshape = 0;
	size_t i;

	*t = TIME_NONE;
	*naive = 0;
	int jv = r->json != NULL && jscan_line(ps, r->json, r->jsonlen, out, &jshape) == JSCAN_OK;
	if (r->json_unchecked)
		json_settle(r, jv);
	if (!jv)
		for (i = 0; i < npaths; i++)
			out[i].type = JV_MISSING;
	if (shape)
		*shape = tf_shape(r) ^ (jshape * UINT64_C(0x9e3779b97f4a7c15));
	if (r->plen_paths != paths || r->plen_n != npaths) {
		for (i = 0; i < npaths && i < JSCAN_MAX_PATHS; i++)
			r->plen[i] = (uint32_t)strlen(paths[i]);
		r->plen_paths = paths;
		r->plen_n = npaths;
	}
	for (i = 0; i < npaths; i++) {
		src[i] = NULL;
		if (out[i].type != JV_MISSING)
			continue;
		const struct tf_field *fl = field_find(r, paths[i], r->plen[i]);
		if (fl) {
			out[i] = fl->v;
			src[i] = fl;
		}
	}
	/* the format's own role fields where the mapping found nothing */
	for (int ro = 0; ro < ROLE_COUNT; ro++) {
		if (m->npaths[ro] == 0 || !f->has_role[ro])
			continue;
		size_t k;
		for (k = 0; k < m->npaths[ro]; k++)
			if (out[role_at[ro][k]].type != JV_MISSING)
				break;
		if (k < m->npaths[ro])
			continue;
		const struct tf_field *fl = NULL;
		for (size_t j = 0; j < r->nf && fl == NULL; j++)
			if (r->f[j].spec >= 0 && f->specs[r->f[j].spec].role == ro)
				fl = &r->f[j];
		for (size_t j = 0; j < f->nroles[ro] && fl == NULL; j++)
			fl = field_find(r, f->roles[ro][j], f->rolelen[ro][j]);
		if (fl) {
			out[role_at[ro][0]] = fl->v;
			src[role_at[ro][0]] = fl;
		}
	}
	/* level: through the level map when it comes from the line */
	for (size_t k = 0; k < m->npaths[ROLE_LEVEL]; k++) {
		int at = role_at[ROLE_LEVEL][k];
		if (out[at].type == JV_MISSING)
			continue;
		size_t ln = 0;
		const char *lv = NULL;
		if (src[at] && src[at]->spec >= 0 && f->specs[src[at]->spec].type == T_PRI &&
		    out[at].type == JV_NUMBER && (lv = severity_level(out[at].num)) != NULL)
			ln = strlen(lv);
		else if (src[at] && (out[at].type == JV_STRING || out[at].type == JV_NUMBER))
			lv = level_mapped(f, &out[at], &ln);
		if (lv) {
			out[at].type = JV_STRING;
			out[at].p = lv;
			out[at].len = (uint32_t)ln;
			out[at].escaped = 0;
		}
		break;
	}
	/* time */
	for (size_t k = 0; k < m->npaths[ROLE_TIME]; k++) {
		int at = role_at[ROLE_TIME][k];
		const struct jv *v = &out[at];
		if (v->type == JV_MISSING)
			continue;
		if (src[at] && src[at]->is_time) {
			*t = tf_field_time(r, (struct tf_field *)src[at]);
			*naive = src[at]->naive;
		} else if (v->type == JV_STRING) {
			struct buf tmp = BUF_INIT;
			const char *s = v->p;
			size_t n = v->len;
			if (v->escaped) {
				jscan_unescape(v, &tmp);
				s = tmp.p ? tmp.p : "";
				n = tmp.len;
			}
			if (time_parse_iso(s, n, t, naive) != 0)
				*t = TIME_NONE;
			else if (*naive && src[at]) {
				*t = apply_tz(*t);
				if (tz_name)
					*naive = 0;
			}
			buf_free(&tmp);
		} else if (v->type == JV_NUMBER && !v->overflow) {
			if (time_from_epoch_number(v->num, t) != 0)
				*t = TIME_NONE;
		}
		break;
	}
	return 0;
}

void
tf_each_path(const struct tf_rec *r,
    void (*cb)(void *ctx, const char *path, size_t pathlen, enum jv_type t), void *ctx)
{
	char name[512];
	tf_check_json((struct tf_rec *)r);
	for (size_t i = 0; i < r->nf; i++) {
		size_t n = r->f[i].namelen < sizeof name - 1 ? r->f[i].namelen : sizeof name - 1;
		memcpy(name, r->f[i].name, n);
		name[n] = '\0';
		cb(ctx, name, n, r->f[i].v.type);
	}
	if (r->json)
		jscan_each_path(r->json, r->jsonlen, cb, ctx);
}

uint64_t
tf_shape(const struct tf_rec *r)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)(r->pat + 2);
	for (size_t i = 0; i < r->nf; i++) {
		/* a name from the format is known by its address (stable while
		   the format is loaded); one from the text by its bytes */
		const char *nm = r->f[i].name;
		int dyn = (nm >= r->line && nm < r->line + r->linelen) ||
		    (nm >= r->arena && nm < r->arena + sizeof r->arena) ||
		    (r->json_raw && nm >= r->json_raw && nm < r->json_raw + r->json_rawlen);
		uint64_t x = dyn ? hash64(nm, r->f[i].namelen) :
		    (uint64_t)(uintptr_t)nm * 31 + r->f[i].namelen;
		h = (h ^ x) * UINT64_C(0x100000001b3);
		h ^= h >> 29;
	}
	return h;
}

const char *
tf_field_type(const struct tf_field *fl)
{
	if (fl->is_time)
		return "timestamp";
	switch (fl->v.type) {
	case JV_NUMBER: return "number";
	case JV_TRUE: case JV_FALSE: return "boolean";
	case JV_NULL: return "null";
	case JV_ARRAY: return "array";
	case JV_OBJECT: return "object";
	default: return "string";
	}
}

/* A field's value as JSON. */
static void
render_value(struct buf *out, const struct tf_field *fl)
{
	const struct jv *v = &fl->v;
	struct buf tmp = BUF_INIT;
	switch (v->type) {
	case JV_NUMBER:
		if (is_json_number(v->p, v->len))
			buf_add(out, v->p, v->len);
		else if (isfinite(v->num))
			buf_printf(out, "%.17g", v->num);
		else
			buf_add_json_string(out, v->p, v->len);
		break;
	case JV_TRUE: buf_adds(out, "true"); break;
	case JV_FALSE: buf_adds(out, "false"); break;
	case JV_NULL: buf_adds(out, "null"); break;
	case JV_ARRAY: {
		struct jv el[64];
		size_t n = array_elems(v, el, 64);
		buf_addc(out, '[');
		for (size_t i = 0; i < n && i < 64; i++) {
			if (i)
				buf_addc(out, ',');
			if (el[i].type == JV_NUMBER && !el[i].overflow)
				buf_add(out, el[i].p, el[i].len);
			else if (el[i].type == JV_TRUE)
				buf_adds(out, "true");
			else if (el[i].type == JV_FALSE)
				buf_adds(out, "false");
			else
				buf_add_json_string(out, el[i].p, el[i].len);
		}
		buf_addc(out, ']');
		break;
	}
	default:
		if (v->escaped && jscan_unescape(v, &tmp) == 0)
			buf_add_json_string(out, tmp.p ? tmp.p : "", tmp.len);
		else
			buf_add_json_string(out, v->p, v->len);
	}
	buf_free(&tmp);
}

void
tf_render(const struct tf_rec *r, const char *text, size_t len, struct buf *out)
{
	if (r->pat >= 0)
		tf_check_json((struct tf_rec *)r);
	buf_adds(out, "{\"_format\":");
	buf_add_json_string(out, r->fmt ? r->fmt->name : "", r->fmt ? strlen(r->fmt->name) : 0);
	if (r->pat < 0) {
		buf_adds(out, ",\"_unparsed\":true");
	} else {
		buf_adds(out, ",\"_pattern\":");
		buf_add_json_string(out, r->fmt->pats[r->pat].name,
		    strlen(r->fmt->pats[r->pat].name));
		for (size_t i = 0; i < r->nf; i++) {
			buf_addc(out, ',');
			buf_add_json_string(out, r->f[i].name, r->f[i].namelen);
			buf_addc(out, ':');
			render_value(out, &r->f[i]);
		}
		if (r->json) {
			/* the body's members, after the line's: they win */
			const char *p = r->json + 1, *e = r->json + r->jsonlen - 1;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			if (e > p) {
				buf_addc(out, ',');
				buf_add(out, p, (size_t)(e - p));
			}
		}
	}
	buf_adds(out, ",\"_raw\":");
	buf_add_json_string(out, text, len);
	buf_addc(out, '}');
}

/* ---- samples ---- */

static void
jv_describe(const struct jv *v, char *out, size_t n)
{
	switch (v->type) {
	case JV_MISSING: snprintf(out, n, "nothing"); break;
	case JV_NULL: snprintf(out, n, "null"); break;
	case JV_TRUE: snprintf(out, n, "true"); break;
	case JV_FALSE: snprintf(out, n, "false"); break;
	case JV_NUMBER: snprintf(out, n, "%.*s (number)", (int)(v->len > 60 ? 60 : v->len), v->p); break;
	case JV_STRING: snprintf(out, n, "\"%.*s\"", (int)(v->len > 60 ? 60 : v->len), v->p); break;
	default: snprintf(out, n, "%.*s", (int)(v->len > 60 ? 60 : v->len), v->p); break;
	}
}

/* Compare expected JSON value e with v; 0 if equal. */
static int
jv_equal(json_t *e, const struct jv *v, const struct jv *elems, size_t nelems)
{
	struct buf tmp = BUF_INIT;
	int rc = -1;
	if (json_is_string(e) && v->type == JV_STRING) {
		const char *s = v->p;
		size_t n = v->len;
		if (v->escaped) {
			jscan_unescape(v, &tmp);
			s = tmp.p ? tmp.p : "";
			n = tmp.len;
		}
		rc = n == json_string_length(e) && memcmp(s, json_string_value(e), n) == 0 ? 0 : -1;
	} else if (json_is_number(e) && v->type == JV_NUMBER)
		rc = v->num == json_number_value(e) ? 0 : -1;
	else if (json_is_true(e))
		rc = v->type == JV_TRUE ? 0 : -1;
	else if (json_is_false(e))
		rc = v->type == JV_FALSE ? 0 : -1;
	else if (json_is_null(e))
		rc = v->type == JV_NULL ? 0 : -1;
	else if (json_is_array(e) && elems) {
		rc = json_array_size(e) == nelems ? 0 : -1;
		for (size_t i = 0; rc == 0 && i < nelems; i++)
			rc = jv_equal(json_array_get(e, i), &elems[i], NULL, 0);
	}
	buf_free(&tmp);
	return rc;
}

static int
check_samples(struct ld *c, struct tf_format *f, json_t *a)
{
	struct tf_rec r;
	struct mapping m;
	const char *paths[JSCAN_MAX_PATHS];
	int role_at[ROLE_COUNT][MAPPING_MAX_CANDIDATES];
	size_t np = 0;
	int rc = LD_OK;

	if (a == NULL)
		return ld_fail(c, "samples", "missing: give at least one sample line with the "
		    "fields it must produce");
	if (!json_is_array(a) || json_array_size(a) == 0)
		return ld_fail(c, "samples", "must be a non-empty array of {\"line\", \"fields\"}");
	mapping_default(&m);
	for (int ro = 0; ro < ROLE_COUNT; ro++)
		for (size_t i = 0; i < m.npaths[ro]; i++) {
			size_t k;
			for (k = 0; k < np && strcmp(paths[k], m.paths[ro][i]); k++)
				;
			if (k == np)
				paths[np++] = m.paths[ro][i];
			role_at[ro][i] = (int)k;
		}
	struct jscan_paths *ps = jscan_paths_new(paths, np);
	/* samples are read in UTC whatever --tz says: they describe the format */
	char *save_name = tz_name;
	int save_fixed = tz_fixed;
	int64_t save_off = tz_off;
	tz_name = NULL;
	tz_fixed = 1;
	tz_off = 0;
	tf_rec_init(&r);
	for (size_t i = 0; i < json_array_size(a) && rc == LD_OK; i++) {
		json_t *s = json_array_get(a, i);
		char path[64];
		snprintf(path, sizeof path, "samples[%zu]", i);
		const char *line = json_is_object(s) ? str_of(s, "line") : NULL;
		if (line == NULL) {
			rc = ld_fail(c, path, "needs a \"line\" string");
			break;
		}
		size_t ln = strlen(line);
		r.ref = TIME_NONE;
		const char *ref = str_of(s, "reference");
		if (ref == NULL || time_parse_iso(ref, strlen(ref), &r.ref, NULL) != 0)
			r.ref = INT64_C(1772150400) * NS_PER_SEC;	/* 2026-02-27T00:00:00Z */
		int matched = tf_parse(f, &r, line, ln);
		json_t *want_match = json_object_get(s, "match");
		if (json_is_false(want_match)) {
			if (matched)
				rc = ld_fail(c, path, "line \"%.80s\": should match no pattern, but "
				    "pattern %s (%.120s) matches", line, f->pats[r.pat].name,
				    f->pats[r.pat].regex);
			else if (json_is_true(json_object_get(s, "continuation")) &&
			    !tf_is_continuation(f, &r, line, ln))
				rc = ld_fail(c, path, "line \"%.80s\": should be a continuation line, "
				    "but the continuation regex does not match", line);
			continue;
		}
		if (!matched) {
			struct buf b = BUF_INIT;
			for (size_t k = 0; k < f->npats; k++)
				buf_printf(&b, "%s%s (%.160s)", k ? "; " : "", f->pats[k].name,
				    f->pats[k].regex);
			rc = ld_fail(c, path, "line \"%.80s\" matches no pattern: %s", line, b.p);
			buf_free(&b);
			break;
		}
		const char *pn = f->pats[r.pat].name, *pr = f->pats[r.pat].regex;
		const char *k;
		json_t *e;
		json_object_foreach(json_object_get(s, "fields"), k, e) {
			struct jv v[64];
			size_t n = tf_get(&r, k, v, 64);
			struct jv got = n == 1 ? v[0] : (struct jv){ .type = JV_MISSING };
			if (n > 1 || (n == 1 && json_is_array(e))) {
				const struct tf_field *fl = field_find(&r, k, strlen(k));
				got = fl ? fl->v : (struct jv){ .type = JV_ARRAY, .p = "[...]", .len = 5 };
			}
			if (n == 0 || jv_equal(e, &got, json_is_array(e) ? v : NULL,
			    n > 64 ? 64 : n) != 0) {
				char want[200], have[100];
				char *w = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
				snprintf(want, sizeof want, "%s", w ? w : "?");
				free(w);
				if (n == 0)
					snprintf(have, sizeof have, "nothing");
				else
					jv_describe(&got, have, sizeof have);
				rc = ld_fail(c, path, "line \"%.80s\": pattern %s (%.160s): field %s: "
				    "expected %s, got %s", line, pn, pr, k, want, have);
				break;
			}
		}
		if (rc != LD_OK)
			break;
		json_t *roles = json_object_get(s, "roles");
		if (roles) {
			struct jv out[JSCAN_MAX_PATHS];
			int64_t t;
			int naive;
			tf_extract(f, &r, &m, ps, paths, np, (const int (*)[MAPPING_MAX_CANDIDATES])role_at,
			    out, &t, &naive, NULL);
			json_object_foreach(roles, k, e) {
				int ro = role_by_name(k);
				char want[200], have[100];
				char *w = json_dumps(e, JSON_ENCODE_ANY | JSON_COMPACT);
				snprintf(want, sizeof want, "%s", w ? w : "?");
				free(w);
				if (ro < 0) {
					rc = ld_fail(c, path, "roles: unknown role %s", k);
					break;
				}
				int ok;
				if (ro == ROLE_TIME) {
					char iso[48];
					if (t == TIME_NONE)
						snprintf(have, sizeof have, "no time");
					else
						snprintf(have, sizeof have, "%s",
						    time_format_iso(t, -1, iso, sizeof iso));
					ok = json_is_null(e) ? t == TIME_NONE :
					    json_is_string(e) && strcmp(json_string_value(e), have) == 0;
				} else {
					const struct jv *v = NULL;
					for (size_t q = 0; q < m.npaths[ro] && !v; q++)
						if (out[role_at[ro][q]].type != JV_MISSING)
							v = &out[role_at[ro][q]];
					struct jv none = { .type = JV_MISSING };
					if (v == NULL)
						v = &none;
					jv_describe(v, have, sizeof have);
					ok = json_is_null(e) ? v->type == JV_MISSING :
					    jv_equal(e, v, NULL, 0) == 0;
				}
				if (!ok) {
					rc = ld_fail(c, path, "line \"%.80s\": pattern %s (%.160s): "
					    "role %s: expected %s, got %s", line, pn, pr, k, want, have);
					break;
				}
			}
		}
	}
	tz_name = save_name;
	tz_fixed = save_fixed;
	tz_off = save_off;
	tf_rec_free(&r);
	jscan_paths_free(ps);
	mapping_free(&m);
	return rc;
}
