/*
 * refcache: the stored messages that receipts refer to, decoded once (see
 * refcache.h). A few entries, searched linearly; the least recently used
 * goes when a new one comes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kairan/envelope.h"
#include "kairan/log.h"

#include "refcache.h"
#include "store.h"

struct entry {
	int		 used;		/* 0: empty */
	uint64_t	 stamp;		/* last looked at */
	uint8_t		 id[KAIRAN_ID_LEN];
	Message		*msg;		/* decoded from the stored envelope */
	const char	**sorted;	/* msg's recipients, by strcmp */
	struct ref	 ref;
};

struct refcache {
	struct entry	 e[REFCACHE_MAX];
	uint64_t	 clock;
};

static void
entry_clear(struct entry *e)
{
	if (e->msg != NULL)
		kairan__v1__message__free_unpacked(e->msg, NULL);
	free(e->sorted);
	memset(e, 0, sizeof(*e));
}

struct refcache *
refcache_new(void)
{
	return calloc(1, sizeof(struct refcache));
}

void
refcache_free(struct refcache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < REFCACHE_MAX; i++)
		entry_clear(&c->e[i]);
	free(c);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
refcache_get(struct refcache *c, struct store *store, const uint8_t *id,
    const struct ref **out, char *err, size_t errlen)
{
	struct entry *e, *victim = &c->e[0];
	Envelope *ev;
	uint8_t *env = NULL, digest[KAIRAN_DIGEST_LEN];
	char hex[KAIRAN_ID_HEXLEN + 1];
	size_t envlen, i;
	int n;

	for (i = 0; i < REFCACHE_MAX; i++) {
		e = &c->e[i];
		if (e->used && memcmp(e->id, id, KAIRAN_ID_LEN) == 0) {
			e->stamp = ++c->clock;
			*out = &e->ref;
			return 1;
		}
		if (!e->used || (victim->used && e->stamp < victim->stamp))
			victim = e;
	}
	if ((n = store_message_get(store, id, &env, &envlen, digest, err,
	    errlen)) != 1)
		return n;
	entry_clear(victim);
	memcpy(victim->ref.digest, digest, KAIRAN_DIGEST_LEN);
	message_hex(id, KAIRAN_ID_LEN, hex);
	/* protobuf-c copies what it decodes: the Envelope can go at once */
	if ((ev = kairan__v1__envelope__unpack(NULL, envlen, env)) == NULL ||
	    (victim->msg = kairan__v1__message__unpack(NULL, ev->message.len,
	    ev->message.data)) == NULL)
		fatalx("%s: stored envelope of %s does not decode", __func__,
		    hex);
	kairan__v1__envelope__free_unpacked(ev, NULL);
	free(env);
	if (victim->msg->n_recipients > 0 &&
	    (victim->sorted = calloc(victim->msg->n_recipients,
	    sizeof(*victim->sorted))) == NULL) {
		entry_clear(victim);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < victim->msg->n_recipients; i++)
		victim->sorted[i] = victim->msg->recipients[i];
	qsort(victim->sorted, victim->msg->n_recipients,
	    sizeof(*victim->sorted), cmp_str);
	memcpy(victim->id, id, KAIRAN_ID_LEN);
	victim->used = 1;
	victim->stamp = ++c->clock;
	victim->ref.msg = victim->msg;
	*out = &victim->ref;
	return 1;
}

int
refcache_has_recipient(const struct ref *r, const char *entity)
{
	const struct entry *e = (const struct entry *)((const char *)r -
	    offsetof(struct entry, ref));

	return e->msg->n_recipients > 0 && bsearch(&entity, e->sorted,
	    e->msg->n_recipients, sizeof(*e->sorted), cmp_str) != NULL;
}
