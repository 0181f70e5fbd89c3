/* parse_jobs.c - the snapshot's jobs[]: queue, priority, gang minimums, subgroups, times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allot/errors.h"
#include "snapshot/json_util.h"
#include "snapshot/parse.h"

static const char *const job_keys[] = {
    "name",
    "queue",
    "pool",
    "priority",
    "preemptible",
    "preemptibility",
    "preemption_policy",
    "min_members",
    "subgroups",
    "created_s",
    "pending_since_s",
    "started_s",
    "preemption_delay_s",
    "stale_for_s",
    "staleness_grace_period_s",
    "time_limit_s",
    "tasks",
    AL__TOPOLOGY_CONSTRAINT_KEYS,
    NULL,
};
static const char *const subgroup_keys[] = {"name", "min_members", AL__TOPOLOGY_CONSTRAINT_KEYS,
                                            NULL};

/* Counts the tasks of all jobs, checking the shape that counting relies on. */
static int count_tasks(struct al__parse *p, const struct al__json *jobs, size_t *total) {
    const struct al__json *job, *tasks;
    char path[AL__PATH_SIZE];
    size_t i;

    *total = 0;
    al__json_array_foreach(jobs, i, job) {
        al__path_index(path, "jobs", i);
        if (al__want_object(job, path, p->err) < 0 ||
            al__member_array(job, path, "tasks", true, &tasks, p->err) < 0)
            return -AL_EINVAL;
        *total += al__json_size(tasks);
        if (*total > AL__MAX_COUNT)
            return al__fail(p->err, "jobs", "too many tasks");
    }
    return 0;
}

static int parse_queue_ref(struct al__parse *p, const struct al__json *obj, const char *path,
                           struct al_job *job) {
    const char *name;
    char qpath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "queue", true, &name, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(qpath, path, "queue");
    job->queue = al__names_find(&p->queues, name);
    if (job->queue < 0)
        return al__fail(p->err, qpath, "unknown queue \"%s\"", name);
    if (p->queue_has_child[job->queue])
        return al__fail(p->err, qpath, "queue \"%s\" is not a leaf queue (it has child queues)",
                        name);
    return 0;
}

/* The node pool the job runs in; absent = the default pool (nodes with no pool). */
static int parse_pool(struct al__parse *p, const struct al__json *obj, const char *path,
                      struct al_job *job) {
    const char *pool = NULL;
    char ppath[AL__PATH_SIZE];

    if (al__member_string(obj, path, "pool", false, &pool, p->err) < 0)
        return -AL_EINVAL;
    al__path_key(ppath, path, "pool");
    if (pool && !pool[0])
        return al__fail(p->err, ppath, "must not be empty (leave it out for the default pool)");
    return pool ? al__dup(&job->pool, pool, ppath, p->err) : 0;
}

/* An optional time in seconds; `has` tells whether it was given. */
static int parse_time(struct al__parse *p, const struct al__json *obj, const char *path,
                      const char *key, int64_t min, bool *has, int64_t *out) {
    if (!al__json_get(obj, key))
        return 0;
    *has = true;
    return al__member_int(obj, path, key, false, min, AL__MAX_SECONDS, out, p->err);
}

static int parse_subgroup(struct al__parse *p, const struct al__json *obj, const char *path,
                          struct al_subgroup *sg) {
    const char *name;

    if (al__want_object(obj, path, p->err) < 0 ||
        al__check_keys(obj, path, subgroup_keys, p->err) < 0 ||
        al__member_string(obj, path, "name", true, &name, p->err) < 0 ||
        al__member_int32(obj, path, "min_members", true, 0, AL__MAX_GANG_MINIMUM, &sg->min_members,
                         p->err) < 0 ||
        al__parse_topology_constraint(p, obj, path, &sg->topology) < 0)
        return -AL_EINVAL;
    return al__dup(&sg->name, name, path, p->err);
}

static int index_subgroups(struct al__parse *p, const struct al_job *job, const char *path) {
    int32_t a, b;
    char spath[AL__PATH_SIZE];

    if (al__names_init(&p->subgroups, job->subgroup_count) < 0)
        return al__fail_nomem(p->err, path);
    for (size_t i = 0; i < job->subgroup_count; i++)
        al__names_set(&p->subgroups, i, job->subgroups[i].name);
    if (al__names_sort(&p->subgroups, &a, &b) < 0) {
        al__path_format(spath, "%s.subgroups[%d].name", path, (int)b);
        return al__fail(p->err, spath, "duplicate subgroup name \"%s\" (also subgroups[%d])",
                        job->subgroups[b].name, (int)a);
    }
    return 0;
}

static int parse_subgroups(struct al__parse *p, const struct al__json *obj, const char *path,
                           struct al_job *job) {
    const struct al__json *list, *v;
    char base[AL__PATH_SIZE], spath[AL__PATH_SIZE];
    size_t i;
    int rc;

    if (al__member_array(obj, path, "subgroups", false, &list, p->err) < 0)
        return -AL_EINVAL;
    if (list && al__json_size(list) > 0) {
        job->subgroups = calloc(al__json_size(list), sizeof(*job->subgroups));
        if (!job->subgroups)
            return al__fail_nomem(p->err, path);
        job->subgroup_count = al__json_size(list);
        al__path_key(base, path, "subgroups");
        al__json_array_foreach(list, i, v) {
            al__path_index(spath, base, i);
            if ((rc = parse_subgroup(p, v, spath, &job->subgroups[i])) < 0)
                return rc;
        }
    }
    return index_subgroups(p, job, path);
}

/* Gang minimums: the job's own, or each subgroup's (then the job's must be absent). A minimum
 * above the tasks there are is valid: a gang whose tasks have not all arrived (a PodGroup's
 * minMember above its pods so far, as allotd's Kubernetes mirror sees it) waits, gang_incomplete.
 * The sum over a job's subgroups is bounded as one minimum is, so that sums of them stay small. */
static int check_minimums(struct al__parse *p, const struct al__json *obj, const char *path,
                          struct al_job *job) {
    char mpath[AL__PATH_SIZE];

    al__path_key(mpath, path, "min_members");
    if (job->subgroup_count == 0) {
        job->min_members = (int32_t)job->task_count;
        return al__member_int32(obj, path, "min_members", false, 0, AL__MAX_GANG_MINIMUM,
                                &job->min_members, p->err);
    }
    if (al__json_get(obj, "min_members"))
        return al__fail(p->err, mpath, "must be absent when the job has subgroups");
    job->min_members = 0;
    int64_t sum = 0;
    for (size_t s = 0; s < job->subgroup_count; s++) {
        sum += job->subgroups[s].min_members;
        if (sum > AL__MAX_GANG_MINIMUM) {
            al__path_format(mpath, "%s.subgroups[%zu].min_members", path, s);
            return al__fail(p->err, mpath, "the subgroups' minimums sum above %d",
                            AL__MAX_GANG_MINIMUM);
        }
    }
    return 0;
}

/* "preemptibility": "preemptible", "non-preemptible" or "semi-preemptible" (KAI's spelling);
 * it may stand beside "preemptible" only when the two agree. */
static int parse_preemptibility(struct al__parse *p, const struct al__json *obj, const char *path,
                                struct al_job *job) {
    const char *mode = NULL;
    char mpath[AL__PATH_SIZE];
    if (al__member_string(obj, path, "preemptibility", false, &mode, p->err) < 0)
        return -AL_EINVAL;
    if (!mode)
        return 0;
    al__path_key(mpath, path, "preemptibility");
    bool preemptible, semi = false;
    if (strcmp(mode, "preemptible") == 0)
        preemptible = true;
    else if (strcmp(mode, "non-preemptible") == 0)
        preemptible = false;
    else if (strcmp(mode, "semi-preemptible") == 0)
        preemptible = false, semi = true;
    else
        return al__fail(p->err, mpath,
                        "unknown preemptibility \"%s\" (preemptible, non-preemptible, "
                        "semi-preemptible)",
                        mode);
    if (al__json_get(obj, "preemptible") && job->preemptible != preemptible)
        return al__fail(p->err, mpath, "\"%s\" contradicts preemptible: %s", mode,
                        job->preemptible ? "true" : "false");
    job->preemptible = preemptible;
    job->semi_preemptible = semi;
    return 0;
}

/* "preemption_policy": Kubernetes' PriorityClass spelling, "PreemptLowerPriority" (the default)
 * or "Never" (the job never causes evictions). */
static int parse_preemption_policy(struct al__parse *p, const struct al__json *obj,
                                   const char *path, struct al_job *job) {
    const char *policy = NULL;
    char ppath[AL__PATH_SIZE];
    if (al__member_string(obj, path, "preemption_policy", false, &policy, p->err) < 0)
        return -AL_EINVAL;
    if (!policy || strcmp(policy, "PreemptLowerPriority") == 0)
        return 0;
    if (strcmp(policy, "Never") != 0) {
        al__path_key(ppath, path, "preemption_policy");
        return al__fail(p->err, ppath,
                        "unknown preemption policy \"%s\" (PreemptLowerPriority, Never)", policy);
    }
    job->preemption_never = true;
    return 0;
}

static int parse_job_fields(struct al__parse *p, const struct al__json *obj, const char *path,
                            struct al_job *job) {
    const char *name;

    if (al__check_keys(obj, path, job_keys, p->err) < 0 ||
        al__member_string(obj, path, "name", true, &name, p->err) < 0)
        return -AL_EINVAL;
    if (al__dup(&job->name, name, path, p->err) < 0)
        return -AL_ENOMEM;
    if (parse_queue_ref(p, obj, path, job) < 0 ||
        al__member_int32(obj, path, "priority", true, -AL__MAX_PRIORITY, AL__MAX_PRIORITY,
                         &job->priority, p->err) < 0)
        return -AL_EINVAL;
    int rc = parse_pool(p, obj, path, job);
    if (rc < 0)
        return rc;
    job->preemptible = job->priority < AL_PRIORITY_BUILD;
    if (al__member_bool(obj, path, "preemptible", false, &job->preemptible, p->err) < 0 ||
        parse_preemptibility(p, obj, path, job) < 0 ||
        parse_preemption_policy(p, obj, path, job) < 0 ||
        al__member_int(obj, path, "created_s", false, -AL__MAX_SECONDS, AL__MAX_SECONDS,
                       &job->created_s, p->err) < 0 ||
        parse_time(p, obj, path, "pending_since_s", -AL__MAX_SECONDS, &job->has_pending_since,
                   &job->pending_since_s) < 0 ||
        parse_time(p, obj, path, "started_s", -AL__MAX_SECONDS, &job->has_started,
                   &job->started_s) < 0 ||
        parse_time(p, obj, path, "preemption_delay_s", 0, &job->has_preemption_delay,
                   &job->preemption_delay_s) < 0 ||
        parse_time(p, obj, path, "stale_for_s", 0, &job->has_stale_for, &job->stale_for_s) < 0 ||
        parse_time(p, obj, path, "staleness_grace_period_s", -AL__MAX_SECONDS,
                   &job->has_staleness_grace_period, &job->staleness_grace_period_s) < 0 ||
        al__parse_topology_constraint(p, obj, path, &job->topology) < 0 ||
        parse_time(p, obj, path, "time_limit_s", 1, &job->has_time_limit, &job->time_limit_s) < 0)
        return -AL_EINVAL;
    if (job->has_pending_since && job->pending_since_s < job->created_s) {
        char ppath[AL__PATH_SIZE];
        al__path_key(ppath, path, "pending_since_s");
        return al__fail(p->err, ppath, "%lld is before created_s (%lld)",
                        (long long)job->pending_since_s, (long long)job->created_s);
    }
    return 0;
}

static int parse_job(struct al__parse *p, const struct al__json *obj, const char *path,
                     int32_t index, size_t *next_task) {
    struct al_job *job = &p->cluster->jobs[index];
    const struct al__json *tasks = al__json_get(obj, "tasks"), *v;
    size_t k;
    int rc;

    if ((rc = parse_job_fields(p, obj, path, job)) < 0 ||
        (rc = parse_subgroups(p, obj, path, job)) < 0)
        return rc;
    job->first_task = *next_task;
    job->task_count = al__json_size(tasks);
    *next_task += job->task_count;
    al__json_array_foreach(tasks, k, v) {
        p->cluster->tasks[job->first_task + k].job = index;
        if ((rc = al__parse_task(p, v, index, k, job->first_task + k)) < 0)
            return rc;
    }
    return check_minimums(p, obj, path, job);
}

static int index_task_names(struct al__parse *p) {
    struct al_cluster *c = p->cluster;
    struct al__names names;
    int32_t a, b;
    char path[AL__PATH_SIZE], other[AL__PATH_SIZE];
    int rc;

    if (al__names_init(&names, c->task_count) < 0)
        return al__fail_nomem(p->err, "jobs");
    for (size_t i = 0; i < c->task_count; i++)
        al__names_set(&names, i, c->tasks[i].name);
    rc = al__names_sort(&names, &a, &b);
    al__names_release(&names);
    if (rc < 0) {
        al__task_path(p, (size_t)b, "name", path);
        al__task_path(p, (size_t)a, NULL, other);
        return al__fail(p->err, path, "duplicate task name \"%s\" (also %s)", c->tasks[b].name,
                        other);
    }
    return 0;
}

static int index_job_names(struct al__parse *p) {
    struct al_cluster *c = p->cluster;
    struct al__names names;
    int32_t a, b;
    char path[AL__PATH_SIZE];
    int rc;

    if (al__names_init(&names, c->job_count) < 0)
        return al__fail_nomem(p->err, "jobs");
    for (size_t i = 0; i < c->job_count; i++)
        al__names_set(&names, i, c->jobs[i].name);
    rc = al__names_sort(&names, &a, &b);
    al__names_release(&names);
    if (rc < 0) {
        snprintf(path, sizeof(path), "jobs[%d].name", (int)b);
        return al__fail(p->err, path, "duplicate job name \"%s\" (also jobs[%d])", c->jobs[b].name,
                        (int)a);
    }
    return 0;
}

static int alloc_tasks(struct al__parse *p, size_t total) {
    struct al_cluster *c = p->cluster;

    if (total == 0)
        return 0;
    c->tasks = calloc(total, sizeof(*c->tasks));
    p->task_groups = calloc(total, sizeof(*p->task_groups));
    if (!c->tasks || !p->task_groups)
        return al__fail_nomem(p->err, "jobs");
    c->task_count = total;
    for (size_t i = 0; i < total; i++) {
        c->tasks[i].node = -1;
        c->tasks[i].subgroup = -1;
    }
    return 0;
}

int al__parse_jobs(struct al__parse *p, const struct al__json *jobs) {
    struct al_cluster *c = p->cluster;
    size_t n = al__json_size(jobs), total, next = 0, i;
    const struct al__json *v;
    char path[AL__PATH_SIZE];
    int rc;

    if (n > AL__MAX_COUNT)
        return al__fail(p->err, "jobs", "too many jobs");
    if ((rc = count_tasks(p, jobs, &total)) < 0 || (rc = alloc_tasks(p, total)) < 0)
        return rc;
    if (n > 0) {
        c->jobs = calloc(n, sizeof(*c->jobs));
        if (!c->jobs)
            return al__fail_nomem(p->err, "jobs");
        c->job_count = n;
    }
    al__json_array_foreach(jobs, i, v) {
        al__path_index(path, "jobs", i);
        rc = parse_job(p, v, path, (int32_t)i, &next);
        al__names_release(&p->subgroups);
        if (rc < 0)
            return rc;
    }
    if ((rc = index_job_names(p)) < 0)
        return rc;
    return index_task_names(p);
}
