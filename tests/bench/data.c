/*
 * Names, companies, numbers and notes for the benchmark's contacts: the mix
 * a salesperson in Britain with clients at home and in Eastern Europe has.
 * Everything is a pure function of the contact's index (see data.h).
 */
#include <stdio.h>
#include <string.h>

#include "data.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

uint64_t bench_hash(uint64_t a, uint64_t b) {
	/* splitmix64 of a mix of both */
	uint64_t z = a * 0x9e3779b97f4a7c15u + b + 0x632be59bd9b4e019u;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static const char *pick(const char *const *list, size_t n, uint64_t h) {
	return list[h % n];
}

/* Salt for each decision, so they do not correlate. */
enum {
	H_LOCALE = 1,
	H_SEX,
	H_FIRST,
	H_LAST,
	H_COMPANY,
	H_COMPANY_KIND,
	H_EMAIL,
	H_BIRTHDAY,
	H_AREA,
	H_TYPED,
	H_NOTE,
	H_PRODUCT,
	H_NUMBER,
};

/* English (Britain, Ireland). */
static const char *const en_male[] = {"James",	 "John",    "Robert",  "Michael", "David",
				      "William", "Richard", "Thomas",  "Oliver",  "George",
				      "Harry",	 "Jack",    "Daniel",  "Matthew", "Andrew",
				      "Peter",	 "Paul",    "Mark",    "Simon",	  "Stephen",
				      "Liam",	 "Connor",  "Alistair"};
static const char *const en_female[] = {"Mary",	  "Elizabeth", "Sarah",	   "Emma",    "Olivia",
					"Sophie", "Charlotte", "Emily",	   "Jessica", "Lucy",
					"Hannah", "Rebecca",   "Victoria", "Amelia",  "Grace",
					"Chloe",  "Helen",     "Margaret", "Siobhan", "Fiona"};
static const char *const en_last[] = {"Smith",	  "Jones",	"Taylor",    "Brown",
				      "Williams", "Wilson",	"Johnson",   "Davies",
				      "Robinson", "Wright",	"Thompson",  "Evans",
				      "Walker",	  "White",	"Roberts",   "Green",
				      "Hall",	  "Wood",	"Jackson",   "Clarke",
				      "Hughes",	  "Edwards",	"Turner",    "Hill",
				      "Moore",	  "Cooper",	"Ward",	     "Morris",
				      "King",	  "Baker",	"Harrison",  "Morgan",
				      "Patel",	  "Khan",	"O'Brien",   "McDonald",
				      "Campbell", "Fitzgerald", "Pritchard", "Ashworth"};

/* Russian and Ukrainian, in Cyrillic: surnames as male, female. */
static const char *const ru_male[] = {"Иван",	  "Алексей", "Сергей",	 "Дмитрий", "Андрей",
				      "Михаил",	  "Николай", "Владимир", "Павел",   "Олег",
				      "Тарас",	  "Богдан",  "Юрий",	 "Виктор",  "Евгений",
				      "Григорий", "Остап",   "Максим",	 "Ярослав"};
static const char *const ru_female[] = {"Анна",	     "Мария",	"Елена",   "Ольга",
					"Наталья",   "Татьяна", "Ирина",   "Светлана",
					"Оксана",    "Леся",	"Галина",  "Юлия",
					"Екатерина", "Дарья",	"Людмила", "Соломия"};
static const char *const ru_last[][2] = {{"Поздняков", "Позднякова"},  {"Иванов", "Иванова"},
					 {"Смирнов", "Смирнова"},      {"Кузнецов", "Кузнецова"},
					 {"Попов", "Попова"},	       {"Соколов", "Соколова"},
					 {"Лебедев", "Лебедева"},      {"Новиков", "Новикова"},
					 {"Морозов", "Морозова"},      {"Волков", "Волкова"},
					 {"Шевченко", "Шевченко"},     {"Коваленко", "Коваленко"},
					 {"Бондаренко", "Бондаренко"}, {"Ткаченко", "Ткаченко"},
					 {"Кравчук", "Кравчук"},       {"Мельник", "Мельник"},
					 {"Олійник", "Олійник"},       {"Гончаренко", "Гончаренко"},
					 {"Петренко", "Петренко"},     {"Федоров", "Федорова"},
					 {"Белоусов", "Белоусова"},    {"Зайцев", "Зайцева"}};
/* The same people as they write themselves in Latin letters. */
static const char *const ru_latin_male[] = {"Ivan",   "Alexei", "Sergei", "Dmitry", "Andriy",
					    "Mykola", "Oleg",	"Taras",  "Yuriy",  "Vladimir"};
static const char *const ru_latin_female[] = {"Anna",	"Maria", "Elena",   "Olga",
					      "Oksana", "Yulia", "Natalia", "Daria"};
static const char *const ru_latin_last[][2] =
	{{"Pozdniakov", "Pozdniakova"}, {"Ivanov", "Ivanova"},	      {"Smirnov", "Smirnova"},
	 {"Kuznetsov", "Kuznetsova"},	{"Shevchenko", "Shevchenko"}, {"Kovalenko", "Kovalenko"},
	 {"Bondarenko", "Bondarenko"},	{"Tkachenko", "Tkachenko"},   {"Volkov", "Volkova"},
	 {"Pozdnyakov", "Pozdnyakova"}};

/* Polish: -ski/-ska. */
static const char *const pl_male[] = {"Piotr",	"Krzysztof", "Andrzej", "Tomasz",
				      "Paweł",	"Michał",    "Marcin",	"Grzegorz",
				      "Łukasz", "Wojciech",  "Jakub",	"Mateusz"};
static const char *const pl_female[] = {"Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara",
					"Ewa",	"Magdalena", "Joanna",	   "Zofia",	"Żaneta"};
static const char *const pl_last[][2] = {{"Kowalski", "Kowalska"},	 {"Nowak", "Nowak"},
					 {"Wiśniewski", "Wiśniewska"},	 {"Wójcik", "Wójcik"},
					 {"Kowalczyk", "Kowalczyk"},	 {"Kamiński", "Kamińska"},
					 {"Lewandowski", "Lewandowska"}, {"Zieliński", "Zielińska"},
					 {"Szymański", "Szymańska"},	 {"Woźniak", "Woźniak"},
					 {"Dąbrowski", "Dąbrowska"},	 {"Kozłowski", "Kozłowska"},
					 {"Jankowski", "Jankowska"},	 {"Mazur", "Mazur"},
					 {"Krawczyk", "Krawczyk"}};

/* German. */
static const char *const de_male[] = {"Hans", "Jürgen", "Klaus", "Stefan",     "Andreas",
				      "Jörg", "Uwe",	"Lukas", "Maximilian", "Günther"};
static const char *const de_female[] = {"Ursula", "Sabine",  "Monika", "Petra",	 "Jana",
					"Lena",	  "Claudia", "Käthe",  "Birgit", "Anja"};
static const char *const de_last[] = {"Müller",	 "Schmidt", "Schneider",  "Fischer", "Weber",
				      "Meyer",	 "Wagner",  "Becker",	  "Schäfer", "Koch",
				      "Bauer",	 "Richter", "Klein",	  "Wolf",    "Schröder",
				      "Neumann", "Schwarz", "Zimmermann", "Krüger",  "Hoffmann",
				      "Weiß",	 "Groß"};

/* French, Spanish, Indian, Chinese (some in characters), Arabic names. */
static const char *const fr_first[] = {"Jean",	   "Pierre",   "Michel",   "Philippe",
				       "Marie",	   "Nathalie", "Isabelle", "Sylvie",
				       "François", "Hélène",   "Zoé",	   "Benoît"};
static const char *const fr_last[] = {"Martin",	 "Bernard", "Dubois",	"Thomas",
				      "Robert",	 "Richard", "Petit",	"Durand",
				      "Lefèvre", "Moreau",  "Fontaine", "Chevalier"};
static const char *const es_first[] = {"José",	"Antonio", "Manuel", "Francisco", "Carmen",
				       "Lucía", "Pilar",   "Javier", "Íñigo",	  "Begoña"};
static const char *const es_last[] = {"García", "Fernández", "González", "Rodríguez",
				      "López",	"Martínez",  "Sánchez",	 "Pérez",
				      "Gómez",	"Muñoz",     "Ibáñez",	 "Núñez"};
static const char *const in_first[] = {"Raj",	 "Priya", "Amit",  "Sunita", "Vikram",
				       "Anjali", "Arjun", "Deepa", "Sanjay", "Kavita"};
static const char *const in_last[] = {"Sharma", "Singh", "Gupta",  "Kumar", "Shah",
				      "Mehta",	"Reddy", "Chopra", "Nair",  "Iyer"};
static const char *const cn_latin[] = {"Wang Wei",  "Li Na",	"Zhang Wei", "Liu Yang",
				       "Chen Jing", "Yang Fan", "Huang Lei", "Zhao Min",
				       "Wu Hao",    "Zhou Xin"};
static const char *const cn_hanzi[] = {"王伟", "李娜", "张伟", "刘洋", "陈静",
				       "杨帆", "黄磊", "赵敏", "吴昊", "周欣"};
static const char *const ar_first[] = {"Mohammed", "Ahmed", "Fatima", "Omar",  "Aisha",
				       "Yusuf",	   "Layla", "Hassan", "Zainab"};
static const char *const ar_last[] = {"Al-Sayed", "Hussain", "Rahman", "Haddad",
				      "Mansour",  "Nasser",  "Karim",  "Aziz"};

/* Companies: words and the shapes their names take. */
static const char *const co_words[] = {"Northern", "Crown",    "Albion",   "Thames",	 "Pennine",
				       "Cotswold", "Highland", "Meridian", "Phoenix",	 "Sterling",
				       "Victoria", "Empire",   "Heritage", "Kensington", "Baltic",
				       "Atlas",	   "Oak",      "Harbour",  "Castle",	 "Regent",
				       "Mercury",  "Unicorn",  "Bridge",   "Lantern",	 "Granite",
				       "Willow",   "Falcon",   "Beacon"};
static const char *const co_trades[] = {"Footwear", "Leather Goods", "Shoe Care", "Trading",
					"Supplies", "Retail",	     "Wholesale", "Distribution",
					"Imports",  "Boutique",	     "Cobblers",  "Outfitters"};
static const char *const co_ru_words[] = {"Восход", "Заря",	"Сапожник", "Кожевник",
					  "Альянс", "Прогресс", "Меридиан", "Стиль"};
static const char *const co_pl_words[] = {"Obuwie", "Skórex",	       "Polbut",
					  "Handel", "Kowalczyk i Syn", "Gdańskie Buty"};
static const char *const co_de_words[] = {"Schuhhaus", "Lederwaren", "Schuhpflege",
					  "Handelsgesellschaft", "Schuhmacherei"};

static void first_last(uint64_t h, int sex, const char *const *male, size_t nm,
		       const char *const *female, size_t nf, char *first, size_t fsz) {
	snprintf(first, fsz, "%s", sex ? pick(female, nf, h) : pick(male, nm, h));
}

void bench_person(int64_t i, struct bench_person *p) {
	memset(p, 0, sizeof(*p));
	uint64_t u = (uint64_t)i;
	unsigned loc = (unsigned)(bench_hash(u, H_LOCALE) % 100);
	int sex = (int)(bench_hash(u, H_SEX) & 1);
	uint64_t hf = bench_hash(u, H_FIRST) >> 8, hl = bench_hash(u, H_LAST) >> 8;
	char first[64];
	const char *last = "";
	char lastbuf[96] = "";
	/* 38 % English, 18 % Russian/Ukrainian in Cyrillic, 6 % the same in Latin
	 * letters, 12 % Polish, 9 % German, 4 % French, 4 % Spanish, 4 % Indian,
	 * 3 % Chinese, 2 % Arabic. */
	if (loc < 38) {
		p->locale = "en";
		first_last(hf, sex, en_male, N(en_male), en_female, N(en_female), first,
			   sizeof(first));
		last = pick(en_last, N(en_last), hl);
	} else if (loc < 56) {
		p->locale = "ru";
		first_last(hf, sex, ru_male, N(ru_male), ru_female, N(ru_female), first,
			   sizeof(first));
		last = ru_last[hl % N(ru_last)][sex];
	} else if (loc < 62) {
		p->locale = "ru-Latn";
		first_last(hf, sex, ru_latin_male, N(ru_latin_male), ru_latin_female,
			   N(ru_latin_female), first, sizeof(first));
		last = ru_latin_last[hl % N(ru_latin_last)][sex];
	} else if (loc < 74) {
		p->locale = "pl";
		first_last(hf, sex, pl_male, N(pl_male), pl_female, N(pl_female), first,
			   sizeof(first));
		last = pl_last[hl % N(pl_last)][sex];
	} else if (loc < 83) {
		p->locale = "de";
		first_last(hf, sex, de_male, N(de_male), de_female, N(de_female), first,
			   sizeof(first));
		last = pick(de_last, N(de_last), hl);
	} else if (loc < 87) {
		p->locale = "fr";
		snprintf(first, sizeof(first), "%s", pick(fr_first, N(fr_first), hf));
		last = pick(fr_last, N(fr_last), hl);
	} else if (loc < 91) {
		p->locale = "es";
		snprintf(first, sizeof(first), "%s", pick(es_first, N(es_first), hf));
		snprintf(lastbuf, sizeof(lastbuf), "%s %s", pick(es_last, N(es_last), hl),
			 pick(es_last, N(es_last), hl >> 16));
		last = lastbuf;
	} else if (loc < 95) {
		p->locale = "in";
		snprintf(first, sizeof(first), "%s", pick(in_first, N(in_first), hf));
		last = pick(in_last, N(in_last), hl);
	} else if (loc < 98) {
		p->locale = "zh";
		bool hanzi = (hl & 3) == 0;
		snprintf(first, sizeof(first), "%s",
			 hanzi ? pick(cn_hanzi, N(cn_hanzi), hf) : pick(cn_latin, N(cn_latin), hf));
		last = NULL;
	} else {
		p->locale = "ar";
		snprintf(first, sizeof(first), "%s", pick(ar_first, N(ar_first), hf));
		last = pick(ar_last, N(ar_last), hl);
	}
	if (last != NULL) {
		snprintf(p->name, sizeof(p->name), "%s %s", first, last);
	} else {
		snprintf(p->name, sizeof(p->name), "%s", first);
	}

	/* Six in ten work for a company; companies are shared by about 15
	 * contacts each, whatever the size. */
	uint64_t hc = bench_hash(u, H_COMPANY);
	if (hc % 10 < 6) {
		uint64_t c = (hc >> 8) % (uint64_t)(i / 15 + 40);
		uint64_t hk = bench_hash(c, H_COMPANY_KIND);
		const char *w = pick(co_words, N(co_words), hk >> 8);
		const char *t = pick(co_trades, N(co_trades), hk >> 16);
		const char *sur = pick(en_last, N(en_last), hk >> 24);
		switch (hk % 12) {
		case 0:
		case 1:
			snprintf(p->company, sizeof(p->company), "%s & Sons", sur);
			break;
		case 2:
		case 3:
		case 4:
			snprintf(p->company, sizeof(p->company), "%s %s Ltd", w, t);
			break;
		case 5:
			snprintf(p->company, sizeof(p->company), "%s %s plc", w, t);
			break;
		case 6:
			snprintf(p->company, sizeof(p->company), "%s %s", sur, t);
			break;
		case 7:
		case 8:
			snprintf(p->company, sizeof(p->company), "ООО «%s»",
				 pick(co_ru_words, N(co_ru_words), hk >> 32));
			break;
		case 9:
			snprintf(p->company, sizeof(p->company), "%s Sp. z o.o.",
				 pick(co_pl_words, N(co_pl_words), hk >> 32));
			break;
		case 10:
			snprintf(p->company, sizeof(p->company), "%s %s GmbH",
				 pick(co_de_words, N(co_de_words), hk >> 32),
				 pick(de_last, N(de_last), hk >> 40));
			break;
		default:
			snprintf(p->company, sizeof(p->company), "%s %s Co.", w,
				 pick(co_words, N(co_words), hk >> 40));
			break;
		}
	}
	uint64_t he = bench_hash(u, H_EMAIL);
	if (he % 2 == 0) {
		static const char *const domains[] = {"gmail.com", "outlook.com", "yandex.ru",
						      "wp.pl",	   "web.de",	  "btinternet.com"};
		snprintf(p->email, sizeof(p->email), "client%lld@%s", (long long)i,
			 pick(domains, N(domains), he >> 8));
	}
	/* One in ten has a birthday on the card, three in ten of those without
	 * the year. */
	uint64_t hb = bench_hash(u, H_BIRTHDAY);
	if (hb % 10 == 0) {
		static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int month = (int)((hb >> 8) % 12) + 1;
		int day = (int)((hb >> 16) % (uint64_t)mdays[month - 1]) + 1;
		if ((hb >> 24) % 10 < 3) {
			snprintf(p->birthday, sizeof(p->birthday), "--%02d-%02d", month, day);
		} else {
			snprintf(p->birthday, sizeof(p->birthday), "%04d-%02d-%02d",
				 1940 + (int)((hb >> 32) % 65), month, day);
		}
	}
}

/* Bijections of i onto [0, m): multiplication by a unit mod m. */
static int64_t permute(int64_t i, int64_t mul, int64_t add, int64_t m) {
	return (int64_t)(((uint64_t)i * (uint64_t)mul + (uint64_t)add) % (uint64_t)m);
}

static const char *const mobile_prefixes[] = {"0770", "0771", "0772", "0773", "0774",
					      "0775", "0777", "0778", "0779", "0780",
					      "0781", "0782", "0783", "0784", "0785",
					      "0786", "0787", "0788", "0789", "0790",
					      "0791", "0792", "0793", "0794", "0795"};

void bench_mobile(int64_t i, char *out, size_t size) {
	int64_t tail = permute(i, 1234567, 987654, 2000000);
	snprintf(out, size, "%s%07lld", mobile_prefixes[(uint64_t)i % N(mobile_prefixes)],
		 (long long)tail);
}

static int64_t local_number(int64_t i) {
	return 2000000 + permute(i, 7654321, 3141592, 8000000);
}

void bench_local(int64_t i, char *out, size_t size) {
	snprintf(out, size, "%07lld", (long long)local_number(i));
}

bool bench_landline_abroad(int64_t i) {
	return bench_hash((uint64_t)i, H_AREA) % 10 == 0;
}

void bench_landline(int64_t i, char *out, size_t size) {
	/* London: a third of GB lines, local numbers of 8 digits. */
	static const char *const areas[] = {"0207", "0208", "0203", "0207", "0208", "0161",
					    "0121", "0113", "0114", "0115", "0116", "0117",
					    "0118", "0131", "0141", "0151", "0191"};
	static const char *const abroad[] = {"+7495", "+48 22", "+4930", "+38044"};
	uint64_t h = bench_hash((uint64_t)i, H_AREA);
	int64_t local = local_number(i);
	if (h % 10 == 0) {
		char prefix[16];
		const char *a = abroad[(h >> 8) % N(abroad)];
		size_t n = 0;
		for (const char *c = a; *c != '\0' && n + 1 < sizeof(prefix); c++) {
			if (*c != ' ') {
				prefix[n++] = *c;
			}
		}
		prefix[n] = '\0';
		snprintf(out, size, "%s%07lld", prefix, (long long)local);
	} else {
		snprintf(out, size, "%s%07lld", areas[(h >> 8) % N(areas)], (long long)local);
	}
}

/* Puts spaces into digits after the given positions (0-terminated list). */
static void space_out(const char *digits, const int *after, char *out, size_t size) {
	size_t o = 0;
	int k = 0;
	for (size_t d = 0; digits[d] != '\0' && o + 2 < size; d++) {
		out[o++] = digits[d];
		if (after[k] != 0 && (int)d + 1 == after[k] && digits[d + 1] != '\0') {
			out[o++] = ' ';
			k++;
		}
	}
	out[o] = '\0';
}

void bench_typed(int64_t i, const char *number, char *out, size_t size) {
	uint64_t h = bench_hash((uint64_t)i ^ (uint64_t)number[2] << 40, H_TYPED);
	if (number[0] == '+') {
		/* Abroad: as the client gave it. */
		int after[] = {3, 5, 0, 0};
		if (strncmp(number, "+7", 2) == 0) {
			after[0] = 2, after[1] = 5, after[2] = 8;
		} else if (strncmp(number, "+380", 4) == 0) {
			after[0] = 4, after[1] = 6, after[2] = 9;
		}
		space_out(number, after, out, size);
		return;
	}
	bool london = strncmp(number, "020", 3) == 0;
	bool mobile = strncmp(number, "07", 2) == 0;
	switch (h % 5) {
	case 0: /* 01614960123 */
		snprintf(out, size, "%s", number);
		break;
	case 1: { /* +44 161 496 0123 */
		char intl[32];
		snprintf(intl, sizeof(intl), "+44%s", number + 1);
		int after[] = {3, london ? 5 : mobile ? 7 : 6, london ? 9 : mobile ? 0 : 9, 0};
		space_out(intl, after, out, size);
		break;
	}
	case 2: { /* 0161 496 0123, 020 7946 0018, 07734 012345 */
		int after[] = {london ? 3 : mobile ? 5 : 4, london ? 7 : mobile ? 0 : 7, 0};
		space_out(number, after, out, size);
		break;
	}
	case 3: /* (0161) 4960123 */
		snprintf(out, size, "(%.*s) %s",
			 london	  ? 3
			 : mobile ? 5
				  : 4,
			 number,
			 number + (london   ? 3
				   : mobile ? 5
					    : 4));
		break;
	default: /* 0161-496-0123 */
		snprintf(out, size, "%.*s-%.3s-%s",
			 london	  ? 3
			 : mobile ? 5
				  : 4,
			 number,
			 number + (london   ? 3
				   : mobile ? 5
					    : 4),
			 number + (london   ? 6
				   : mobile ? 8
					    : 7));
		break;
	}
}

static const char *const products[] = {"black shoe cream", "brown shoe polish",
				       "suede brush",	   "leather conditioner",
				       "boot laces",	   "insoles",
				       "shoe horns",	   "waterproofing spray",
				       "saddle soap",	   "mink oil",
				       "shoe trees",	   "heel grips"};
static const char *const products_ru[] = {"крем для обуви", "щётки для замши", "стельки", "шнурки",
					  "водоотталкивающий спрей"};
static const char *const products_pl[] = {"pasta do butów", "szczotki", "wkładki"};
static const char *const products_de[] = {"Schuhcreme", "Schuhspanner", "Imprägnierspray"};

void bench_note(int64_t i, int k, char *out, size_t size) {
	uint64_t h = bench_hash((uint64_t)i * 8 + (uint64_t)k, H_NOTE);
	uint64_t hp = h >> 16;
	int n = (int)((h >> 40) % 9) + 2;
	switch (h % 12) {
	case 0:
		snprintf(out, size, "Asked for %s, %d tins", pick(products, N(products), hp), n);
		break;
	case 1:
		snprintf(out, size, "Wants the price list for %s before Friday",
			 pick(products, N(products), hp));
		break;
	case 2:
		snprintf(out, size, "Call back after %d pm, busy in the mornings", n);
		break;
	case 3:
		snprintf(out, size, "Invoice %lld paid late; send reminders by email",
			 (long long)(10000 + (h >> 20) % 90000));
		break;
	case 4:
		snprintf(out, size, "Interested in the new autumn catalogue");
		break;
	case 5:
		snprintf(out, size, "Complained about the delivery of %s",
			 pick(products, N(products), hp));
		break;
	case 6:
		snprintf(out, size, "Просил перезвонить после обеда, интересуется: %s",
			 pick(products_ru, N(products_ru), hp));
		break;
	case 7:
		snprintf(out, size, "Заказ №%lld: %s, %d шт.", (long long)(h >> 24) % 9000 + 1000,
			 pick(products_ru, N(products_ru), hp), n);
		break;
	case 8:
		snprintf(out, size, "Prosi o cennik: %s", pick(products_pl, N(products_pl), hp));
		break;
	case 9:
		snprintf(out, size, "Möchte ein Angebot für %d Stück %s", n * 10,
			 pick(products_de, N(products_de), hp));
		break;
	case 10:
		snprintf(out, size, "Prefers email to calls; speaks to the shop manager first");
		break;
	default:
		snprintf(out, size, "Met at the trade fair in Birmingham, wants samples of %s",
			 pick(products, N(products), hp));
		break;
	}
}

void bench_request(int64_t i, int k, char *out, size_t size) {
	uint64_t h = bench_hash((uint64_t)i * 8 + (uint64_t)k, H_PRODUCT);
	int n = (int)((h >> 40) % 5) + 2;
	if (h % 3 == 0) {
		snprintf(out, size, "%s, %d tins: call when it arrives",
			 pick(products, N(products), h >> 8), n);
	} else if (h % 3 == 1) {
		snprintf(out, size, "Quote for %d boxes of %s", n * 10,
			 pick(products, N(products), h >> 8));
	} else {
		snprintf(out, size, "Перезвонить насчёт: %s",
			 pick(products_ru, N(products_ru), h >> 8));
	}
}

void bench_order(int64_t i, int k, char *out, size_t size) {
	uint64_t h = bench_hash((uint64_t)i * 8 + (uint64_t)k, H_PRODUCT + 100);
	snprintf(out, size, "Order %lld: %d x %s, delivery next week",
		 (long long)(100000 + (h >> 20) % 900000), (int)((h >> 8) % 20) + 1,
		 pick(products, N(products), h >> 12));
}

const char *bench_query(const char *kind, int k, char *buf, size_t size) {
	static const char *const names[] = {"pozd", "Поздн",	 "kowal", "smi",   "шевч", "müll",
					    "wiś",  "ivan pozd", "garc",  "patel", "anna", "james",
					    "schr", "олій",	 "zhang", "fitzg"};
	static const char *const companies[] = {"sons",	   "trading", "footwear",   "ооо",
						"gmbh",	   "albion",  "kensington", "sp",
						"leather", "cobblers"};
	static const char *const notes[] = {"cream",  "invoice",    "catalogue", "заказ",
					    "cennik", "angebot",    "delivery",	 "samples",
					    "polish", "перезвонить"};
	if (strcmp(kind, "name") == 0) {
		return names[(unsigned)k % N(names)];
	}
	if (strcmp(kind, "company") == 0) {
		return companies[(unsigned)k % N(companies)];
	}
	if (strcmp(kind, "note") == 0) {
		return notes[(unsigned)k % N(notes)];
	}
	/* A fragment of somebody's number: 3 to 6 digits out of its middle. */
	char num[32];
	int64_t i = (int64_t)(bench_hash((uint64_t)k, H_NUMBER) % 1000);
	bench_landline(i, num, sizeof(num));
	size_t len = strlen(num);
	size_t want = 3 + (size_t)k % 4;
	snprintf(buf, size, "%s", num + (len > want + 2 ? len - want - 2 : 0));
	buf[want < size ? want : size - 1] = '\0';
	return buf;
}
