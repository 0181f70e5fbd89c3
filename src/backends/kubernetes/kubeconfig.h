/* kubeconfig.h - where a Kubernetes API server is and how allotd proves who it is: read from a
 * kubeconfig file (its current context), or from the service account of the pod allotd runs in
 * (in-cluster). */
#ifndef ALLOT_BACKENDS_KUBERNETES_KUBECONFIG_H
#define ALLOT_BACKENDS_KUBERNETES_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Everything is owned (malloc) and freed by al__kube_credentials_release; NULL = not given. */
struct al__kube_credentials {
    char *server;    /* "https://host:port" */
    char *ca_file;   /* PEM bundle that signs the server's certificate */
    char *ca_pem;    /* or the bundle itself (certificate-authority-data, decoded) */
    bool insecure;   /* insecure-skip-tls-verify: the server's certificate is not checked */
    char *token;     /* a bearer token (token, or the contents of tokenFile) */
    char *cert_file; /* or a client certificate and its key, as files */
    char *key_file;
    char *cert_pem; /* or as PEM text (client-certificate-data, client-key-data) */
    char *key_pem;
    char *namespace_; /* the context's namespace, "default" when it names none */
};

/*
 * al__kube_config_load - the current context of the kubeconfig file at path (YAML or JSON, as
 * kubectl reads it): its cluster's server and CA, its user's token or client certificate.
 * Relative file names are relative to the file's directory. 0, or -AL_EINVAL / -AL_EIO with the
 * file, the field and the problem in err.
 */
int al__kube_config_load(const char *path, struct al__kube_credentials *out, char *err,
                         size_t size);

/*
 * al__kube_config_in_cluster - the credentials of the pod allotd runs in: the API server from
 * KUBERNETES_SERVICE_HOST / _PORT, the service account's token, CA and namespace from dir
 * (NULL: /var/run/secrets/kubernetes.io/serviceaccount). 0, or -AL_EINVAL / -AL_EIO with err.
 */
int al__kube_config_in_cluster(const char *dir, struct al__kube_credentials *out, char *err,
                               size_t size);

void al__kube_credentials_release(struct al__kube_credentials *c);

#endif
