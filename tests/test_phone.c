#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "phone_data.h"
#include "tap.h"

/*
 * Numbers are from ranges set aside for drama and documentation where there are any: UK
 * Ofcom (020 7946 0xxx, 01632 960xxx, 0113 496 0xxx, 07700 900xxx), NANP 555-01xx, France
 * ARCEP (01 99 00 xx xx, 06 39 98 xx xx), Berlin 030 23125 xxx. The rest are made up.
 */

struct norm_case {
	const char *region;
	const char *input;
	const char *e164;   /* "" when none is derived */
	const char *digits; /* NULL: e164 without "+" */
	const char *ext;
	bool service;
};

#define DOB	  "\xd0\xb4\xd0\xbe\xd0\xb1." /* "доб." (Russian for extension) */
#define WIDE_PLUS "\xef\xbc\x8b"	      /* fullwidth "+" */
#define WIDE_4	  "\xef\xbc\x94"	      /* fullwidth "4" */

/* clang-format off */
static const struct norm_case norm_cases[] = {
	/* GB: trunk 0, international 00 */
	{"GB", "020 7946 0018", "+442079460018", NULL, "", false},
	{"GB", "+44 (0)20 7946 0018", "+442079460018", NULL, "", false},
	{"GB", "+44 20 7946 0018", "+442079460018", NULL, "", false},
	{"GB", "0044 20 7946 0018", "+442079460018", NULL, "", false},
	{"GB", "(020) 7946-0018", "+442079460018", NULL, "", false},
	{"GB", "020.7946.0018", "+442079460018", NULL, "", false},
	{"GB", "01632 960961", "+441632960961", NULL, "", false},
	{"GB", "0113 496 0123", "+441134960123", NULL, "", false},
	{"GB", "07700 900123", "+447700900123", NULL, "", false},
	{"GB", "Mobile: 07700 900123", "+447700900123", NULL, "", false},
	{"GB", "020 7946 0018 ext. 23", "+442079460018", NULL, "23", false},
	{"GB", "020 7946 0018 x23", "+442079460018", NULL, "23", false},
	{"GB", "+44 20 7946 0018;ext=23", "+442079460018", NULL, "23", false},
	{"GB", "+44 20 7946 0018 (office)", "+442079460018", NULL, "", false},
	{"GB", "441632960961", "+441632960961", NULL, "", false},
	{"GB", "12125550123", "", "12125550123", "", false},
	{"GB", "0800 1111", "+448001111", NULL, "", false},
	{"GB", "946 0018", "", "9460018", "", false},
	{"GB", "020 7946 00188", "", "20794600188", "", false},
	/* Written with "+": E.164 as it stands, whatever the plan's tables say
	 * (issue 10: +420 1.. is outside the Czech tables; the person has it) */
	{"GB", "+420 123 456 789", "+420123456789", NULL, "", false},
	{NULL, "+420 123 456 789", "+420123456789", NULL, "", false},
	{"US", "+420123456789", "+420123456789", NULL, "", false},
	{"GB", "+44 1 2345", "+4412345", NULL, "", false},
	{"GB", "+420 123", "", "420123", "", false},  /* 3 digits after the code: not a number */
	{"GB", "+999 123 456 789", "", "999123456789", "", false}, /* no such code */
	{"GB", "001 212 555 0123", "+12125550123", NULL, "", false},
	{"GB", "999", "", "999", "", true},
	{"GB", "112", "", "112", "", true},
	{"GB", "101", "", "101", "", true},
	/* US: trunk 1, international 011 */
	{"US", "(212) 555-0123", "+12125550123", NULL, "", false},
	{"US", "212.555.0123", "+12125550123", NULL, "", false},
	{"US", "1 (212) 555-0123", "+12125550123", NULL, "", false},
	{"US", "1-212-555-0123", "+12125550123", NULL, "", false},
	{"US", "+1 212 555 0123", "+12125550123", NULL, "", false},
	{"us", "2125550123", "+12125550123", NULL, "", false},
	{"US", "011 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"US", "00 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"US", "(416) 555-0123", "+14165550123", NULL, "", false},
	{"US", "555-0123", "", "5550123", "", false},
	{"US", "1 555 0123", "", "5550123", "", false},
	{"US", "212 555 012", "", "212555012", "", false},
	{"US", "212-555-0123 x23", "+12125550123", NULL, "23", false},
	{"US", "212-555-0123 #23", "+12125550123", NULL, "23", false},
	{"US", "212-555-0123,,23", "+12125550123", NULL, "23", false},
	{"US", "212-555-0123, 212-555-0199", "+12125550123", NULL, "", false},
	{"US", "212-555-0123 extension 23", "+12125550123", NULL, "23", false},
	{"US", "1-800-FLOWERS", "+18003569377", NULL, "", false},
	{"US", "911", "", "911", "", true},
	{"US", "411", "", "411", "", true},
	{"US", "12345", "", "12345", "", true},
	/* CA: shares +1 with the US */
	{"CA", "(416) 555-0123", "+14165550123", NULL, "", false},
	{"CA", "1 613 555 0199", "+16135550199", NULL, "", false},
	{"CA", "(212) 555-0123", "+12125550123", NULL, "", false},
	{"CA", "011 33 1 99 00 12 34", "+33199001234", NULL, "", false},
	{"CA", "555-0199", "", "5550199", "", false},
	{"CA", "911", "", "911", "", true},
	/* DE: trunk 0, open numbering plan */
	{"DE", "030 23125123", "+493023125123", NULL, "", false},
	{"DE", "+49 (0)30 23125123", "+493023125123", NULL, "", false},
	{"DE", "+49 030 23125123", "+493023125123", NULL, "", false},
	{"DE", "0049 30 23125123", "+493023125123", NULL, "", false},
	{"DE", "030/231 251-23", "+493023125123", NULL, "", false},
	{"DE", "0151 23456789", "+4915123456789", NULL, "", false},
	{"DE", "+49 30 23125123 x5", "+493023125123", NULL, "5", false},
	{"DE", "0044 20 7946 0018", "+442079460018", NULL, "", false},
	{"DE", "110", "", "110", "", true},
	{"DE", "112", "", "112", "", true},
	/* FR */
	{"FR", "01 99 00 12 34", "+33199001234", NULL, "", false},
	{"FR", "01.99.00.12.34", "+33199001234", NULL, "", false},
	{"FR", "+33 (0)1 99 00 12 34", "+33199001234", NULL, "", false},
	{"FR", "0033 1 99 00 12 34", "+33199001234", NULL, "", false},
	{"FR", "06 39 98 12 34", "+33639981234", NULL, "", false},
	{"FR", "01 99 00 12", "", "1990012", "", false},
	{"FR", "15", "", "15", "", true},
	{"FR", "17", "", "17", "", true},
	{"FR", "112", "", "112", "", true},
	{"FR", "3615", "", "3615", "", true},
	/* IT: no trunk prefix, the leading 0 belongs to the number */
	{"IT", "06 1234 5678", "+390612345678", NULL, "", false},
	{"IT", "+39 06 1234 5678", "+390612345678", NULL, "", false},
	{"IT", "0039 06 1234 5678", "+390612345678", NULL, "", false},
	{"IT", "+39 (0)6 1234 5678", "+390612345678", NULL, "", false},
	{"IT", "02 1234 5678", "+390212345678", NULL, "", false},
	{"IT", "347 123 4567", "+393471234567", NULL, "", false},
	{"IT", "+39 347 123 4567", "+393471234567", NULL, "", false},
	{"IT", "6 1234 5678", "", "612345678", "", false},
	{"IT", "113", "", "113", "", true},
	{"GB", "+39 06 1234 5678", "+390612345678", NULL, "", false},
	/* UA */
	{"UA", "044 123 4567", "+380441234567", NULL, "", false},
	{"UA", "+380 44 123 4567", "+380441234567", NULL, "", false},
	{"UA", "0 44 123 45 67", "+380441234567", NULL, "", false},
	{"UA", "00380 44 123 4567", "+380441234567", NULL, "", false},
	{"UA", "050 123 45 67", "+380501234567", NULL, "", false},
	{"UA", "00 48 12 345 67 89", "+48123456789", NULL, "", false},
	{"UA", "123 4567", "", "1234567", "", false},
	{"UA", "103", "", "103", "", true},
	/* RU: trunk 8, international 8~10 and 00 */
	{"RU", "8 (495) 123-45-67", "+74951234567", NULL, "", false},
	{"RU", "+7 495 123-45-67", "+74951234567", NULL, "", false},
	{"RU", "8 916 123 45 67", "+79161234567", NULL, "", false},
	{"RU", "89161234567", "+79161234567", NULL, "", false},
	{"RU", "79161234567", "+79161234567", NULL, "", false},
	{"RU", "+7 8 916 123 45 67", "+79161234567", NULL, "", false},
	{"RU", "8 800 555 35 35", "+78005553535", NULL, "", false},
	{"RU", "800 555 35 35", "+78005553535", NULL, "", false},
	{"RU", "8 10 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"RU", "810 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"RU", "8~10 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"RU", "00 44 20 7946 0018", "+442079460018", NULL, "", false},
	{"RU", "8 7172 12 34 56", "+77172123456", NULL, "", false},
	{"RU", "+7 (495) 123-45-67 " DOB " 123", "+74951234567", NULL, "123", false},
	{"RU", "123-45-67", "", "1234567", "", false},
	{"RU", "8 495 123 45 678", "", "49512345678", "", false},
	{"RU", "112", "", "112", "", true},
	{"RU", "03", "", "03", "", true},
	{"RU", "102", "", "102", "", true},
	/* KZ: shares +7 and the trunk 8 with RU */
	{"KZ", "8 (7172) 12 34 56", "+77172123456", NULL, "", false},
	{"KZ", "8 701 123 4567", "+77011234567", NULL, "", false},
	{"KZ", "8 (916) 123-45-67", "+79161234567", NULL, "", false},
	{"KZ", "810 44 20 7946 0018", "+442079460018", NULL, "", false},
	/* PL: no trunk prefix */
	{"PL", "12 345 67 89", "+48123456789", NULL, "", false},
	{"PL", "+48 12 345 67 89", "+48123456789", NULL, "", false},
	{"PL", "0048 12 345 67 89", "+48123456789", NULL, "", false},
	{"PL", "512-345-678", "+48512345678", NULL, "", false},
	{"PL", "12 345 67 89 01", "", "12345678901", "", false},
	{"PL", "48 12 345 67 89", "+48123456789", NULL, "", false},
	{"PL", "0044 20 7946 0018", "+442079460018", NULL, "", false},
	{"PL", "997", "", "997", "", true},
	{"PL", "112", "", "112", "", true},
	/* NANP islands complete a 7-digit local number with their area code */
	{"AG", "460 1234", "+12684601234", NULL, "", false},
	/* No home region: only + and unambiguous international forms */
	{NULL, "+44 20 7946 0018", "+442079460018", NULL, "", false},
	{NULL, "0044 20 7946 0018", "+442079460018", NULL, "", false},
	{NULL, "441632960961", "+441632960961", NULL, "", false},
	{NULL, "01632 960961", "", "1632960961", "", false},
	{"", "01632 960961", "", "1632960961", "", false},
	{NULL, "2125550123", "", "2125550123", "", false},
	{NULL, "555 0123", "", "5550123", "", false},
	{NULL, "+1 800 FLOWERS", "+18003569377", NULL, "", false},
	{NULL, "+44 12", "", "4412", "", false},
	{NULL, "+999 123 456", "", "999123456", "", false},
	{NULL, "tel:+44-20-7946-0018;phone-context=example.com", "+442079460018", NULL, "", false},
	{NULL, WIDE_PLUS WIDE_4 WIDE_4 " 20 7946 0018", "+442079460018", NULL, "", false},
	{NULL, "+800 1234 5678", "+80012345678", NULL, "", false},
	{NULL, "112", "", "112", "", true},
};
/* clang-format on */

static void test_normalize(void) {
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		const char *region = c->region ? c->region : "(none)";
		struct phone_number n;
		memset(&n, 0x5a, sizeof(n));
		int ret = phone_normalize(c->input, c->region, &n);
		is_int(ret, 0, "%s \"%s\": accepted", region, c->input);
		is_str(n.e164, c->e164, "%s \"%s\": e164", region, c->input);
		is_str(n.digits, c->digits ? c->digits : c->e164 + 1, "%s \"%s\": digits", region,
		       c->input);
		is_str(n.ext, c->ext, "%s \"%s\": extension", region, c->input);
		ok(n.service == c->service && !n.withheld, "%s \"%s\": %s", region, c->input,
		   c->service ? "service number" : "not a service number");
	}
}

static void test_withheld(void) {
	static const struct {
		const char *input;
		const char *name;
	} markers[] = {
		{"P", "P"},
		{"O", "O"},
		{"A", "A"},
		{"PRIVATE", "PRIVATE"},
		{"Private", "Private"},
		{"Unavailable", "Unavailable"},
		{"ANONYMOUS", "ANONYMOUS"},
		{"OUT OF AREA", "OUT OF AREA"},
		{"", "empty"},
		{"   ", "blanks"},
		{" private\r\n", "private with CR LF"},
		{"anonymous@anonymous.invalid", "SIP anonymous"},
	};
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		struct phone_number n;
		int ret = phone_normalize(markers[i].input, "GB", &n);
		ok(ret == 0 && n.withheld && !n.service && n.e164[0] == '\0' && n.digits[0] == '\0',
		   "%s is withheld", markers[i].name);
	}
	struct phone_number n;
	ok(phone_normalize("P", NULL, &n) == 0 && n.withheld, "withheld without a region");
	ok(phone_normalize("020 7946 0018", "GB", &n) == 0 && !n.withheld,
	   "a number is not withheld");
}

static void test_errors(void) {
	struct phone_number n;
	is_int(phone_normalize("hello", "GB", &n), -EINVAL, "letters only are rejected");
	is_int(phone_normalize("+", "GB", &n), -EINVAL, "a lone + is rejected");
	is_int(phone_normalize(NULL, "GB", &n), -EINVAL, "NULL input is rejected");
	is_int(phone_normalize("020 7946 0018", "XX", &n), -EINVAL, "unknown region is rejected");
	is_int(phone_normalize("020 7946 0018", "GBR", &n), -EINVAL, "three letters are rejected");
	is_int(phone_normalize("123456789012345678901234567890123", "GB", &n), -E2BIG,
	       "33 digits are too many");
	is_int(phone_normalize("020 7946 0018 ext 123456789012", "GB", &n), -E2BIG,
	       "a 12-digit extension is too long");
	is_str(n.e164, "", "out is cleared on error");
	is_int(phone_normalize("020 7946 0018", "GB", NULL), -EINVAL, "NULL out is rejected");
}

struct format_case {
	const char *e164;
	const char *region;
	const char *want;
};

/* clang-format off */
static const struct format_case format_cases[] = {
	{"+442079460018", "GB", "020 7946 0018"},
	{"+442079460018", "US", "+44 20 7946 0018"},
	{"+442079460018", NULL, "+44 20 7946 0018"},
	{"+441632960961", "GB", "01632 960961"},
	{"+441134960123", "gb", "0113 496 0123"},
	{"+447700900123", "GB", "07700 900123"},
	{"+447700900123", "FR", "+44 7700 900123"},
	{"+12125550123", "US", "(212) 555-0123"},
	{"+12125550123", "GB", "+1 212-555-0123"},
	{"+12125550123", "CA", "1 (212) 555-0123"},
	{"+14165550123", "CA", "(416) 555-0123"},
	{"+14165550123", "US", "1 (416) 555-0123"},
	{"+493023125123", "DE", "030 23125123"},
	{"+493023125123", "GB", "+49 30 23125123"},
	{"+4915123456789", "DE", "01512 3456789"},
	{"+33199001234", "FR", "01 99 00 12 34"},
	{"+33199001234", "DE", "+33 1 99 00 12 34"},
	{"+33639981234", "FR", "06 39 98 12 34"},
	{"+390612345678", "IT", "06 1234 5678"},
	{"+390612345678", "GB", "+39 06 1234 5678"},
	{"+393471234567", "IT", "347 123 4567"},
	{"+393471234567", "US", "+39 347 123 4567"},
	{"+74951234567", "RU", "8 (495) 123-45-67"},
	{"+74951234567", "UA", "+7 495 123-45-67"},
	{"+79161234567", "RU", "8 (916) 123-45-67"},
	{"+77172123456", "KZ", "8 (7172) 12 34 56"},
	{"+77172123456", "RU", "8 (7172) 12 34 56"},
	{"+77172123456", "DE", "+7 7172 12 34 56"},
	{"+380441234567", "UA", "044 123 4567"},
	{"+380441234567", "PL", "+380 44 123 4567"},
	{"+380501234567", "UA", "050 123 4567"},
	{"+48123456789", "PL", "12 345 67 89"},
	{"+48123456789", "UA", "+48 12 345 67 89"},
	{"+48512345678", "PL", "512 345 678"},
	{"+80012345678", "GB", "+800 1234 5678"},
	/* not E.164: as given */
	{"5550123", "US", "5550123"},
	{"441632960961", "GB", "441632960961"},
	{"+999123456", "GB", "+999123456"},
	{"+44 20", "GB", "+44 20"},
	{"", "GB", ""},
};
/* clang-format on */

static void test_format(void) {
	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		const struct format_case *c = &format_cases[i];
		char out[64];
		size_t len = phone_format(c->e164, c->region, out, sizeof(out));
		is_str(out, c->want, "%s in %s", c->e164, c->region ? c->region : "(none)");
		is_int((long)len, (long)strlen(c->want), "%s in %s: length", c->e164,
		       c->region ? c->region : "(none)");
	}
	char small[8];
	is_int((long)phone_format("+442079460018", "US", small, sizeof(small)), 7,
	       "truncated output returns what was written");
	is_str(small, "+44 20 ", "output is truncated and terminated");
	is_int((long)phone_format("+442079460018", "US", small, 0), 0, "outsz 0 writes nothing");

	/* What normalize makes, format shows: the round trip a contact card goes through. */
	struct phone_number n;
	char out[64];
	phone_normalize("8 916 123 45 67", "RU", &n);
	phone_format(n.e164, "RU", out, sizeof(out));
	is_str(out, "8 (916) 123-45-67", "RU mobile round trip");
}

static void test_regions(void) {
	char cc[3];
	static const struct {
		const char *locale;
		const char *want;
	} locales[] = {
		{"en_GB.UTF-8", "GB"}, {"uk_UA", "UA"},	     {"de_DE@euro", "DE"},
		{"en-US", "US"},       {"zh-Hant-TW", "TW"}, {"sr_RS.UTF-8@latin", "RS"},
		{"C", NULL},	       {"POSIX", NULL},	     {"", NULL},
		{"C.UTF-8", NULL},     {"en", NULL},	     {"en_XX.UTF-8", NULL},
	};
	for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]); i++) {
		memset(cc, 0, sizeof(cc));
		bool found = phone_region_from_locale(locales[i].locale, cc);
		if (locales[i].want) {
			ok(found && strcmp(cc, locales[i].want) == 0, "locale \"%s\" is %s",
			   locales[i].locale, locales[i].want);
		} else {
			ok(!found, "locale \"%s\" has no region", locales[i].locale);
		}
	}
	ok(!phone_region_from_locale(NULL, cc), "NULL locale has no region");

	is_int(phone_region_calling_code("GB"), 44, "GB is +44");
	is_int(phone_region_calling_code("gb"), 44, "gb is +44");
	is_int(phone_region_calling_code("US"), 1, "US is +1");
	is_int(phone_region_calling_code("CA"), 1, "CA is +1");
	is_int(phone_region_calling_code("RU"), 7, "RU is +7");
	is_int(phone_region_calling_code("KZ"), 7, "KZ is +7");
	is_int(phone_region_calling_code("VA"), 39, "VA is +39");
	is_int(phone_region_calling_code("UA"), 380, "UA is +380");
	is_int(phone_region_calling_code("XX"), 0, "XX is unknown");
	is_int(phone_region_calling_code(NULL), 0, "NULL is unknown");

	ok(phone_region_known("GB"), "GB is known");
	ok(phone_region_known("us"), "us is known");
	ok(!phone_region_known("XX"), "XX is not known");
	ok(!phone_region_known("001"), "001 (non-geographic) is not a region");
	ok(!phone_region_known(""), "empty is not a region");
	ok(!phone_region_known(NULL), "NULL is not a region");

	static const struct {
		const char *e164;
		const char *want;
	} owners[] = {
		{"+12125550123", "US"},	 {"+14165550123", "CA"},  {"+12684601234", "AG"},
		{"+74951234567", "RU"},	 {"+77172123456", "KZ"},  {"+441481123456", "GG"},
		{"+442079460018", "GB"}, {"+390669812345", "VA"}, {"+390612345678", "IT"},
	};
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		memset(cc, 0, sizeof(cc));
		ok(phone_region_of(owners[i].e164, cc) && strcmp(cc, owners[i].want) == 0,
		   "%s belongs to %s", owners[i].e164, owners[i].want);
	}
	ok(!phone_region_of("+80012345678", cc), "+800 belongs to no region");
	ok(!phone_region_of("+999123456", cc), "+999 is not a calling code");
	ok(!phone_region_of("12125550123", cc), "no + is not E.164");
}

static void test_reverse(void) {
	char out[16];
	phone_reverse("441632960961", out, sizeof(out));
	is_str(out, "169069236144", "digits are reversed");
	phone_reverse("441632960961", out, 5);
	is_str(out, "1690", "a short buffer keeps the end of the number");
	phone_reverse("", out, sizeof(out));
	is_str(out, "", "empty stays empty");
}

/* The generated table holds what phone.c relies on. */
static void test_table(void) {
	size_t geo = 0, sorted = 1, formats_ok = 1, idd_ok = 1;
	for (size_t i = 0; i < phone_regions_len; i++) {
		const struct phone_region *r = &phone_regions[i];
		if (i > 0 && strcmp(phone_regions[i - 1].iso, r->iso) > 0) {
			sorted = 0;
		}
		if ((size_t)r->fmt_first + r->fmt_count > phone_formats_len) {
			formats_ok = 0;
		}
		if (strlen(r->iso) == 2) {
			geo++;
			idd_ok = idd_ok && r->idd && r->cc > 0 && r->lengths != 0;
		}
	}
	ok(sorted, "regions are sorted by code");
	ok(geo >= 240, "the table has all regions (%zu)", geo);
	ok(formats_ok, "format ranges are inside the format table");
	ok(idd_ok, "every region has a calling code, an international prefix and lengths");
	size_t found = 0;
	for (size_t i = 0; i < phone_regions_len; i++) {
		const struct phone_region *r = &phone_regions[i];
		found += strlen(r->iso) == 2 && phone_region_calling_code(r->iso) == r->cc;
	}
	is_int((long)found, (long)geo, "every region is found by its code");
}

int main(void) {
	test_normalize();
	test_withheld();
	test_errors();
	test_format();
	test_regions();
	test_reverse();
	test_table();
	return tap_done();
}
