{{/* The pod template shared by the StatefulSet (single node) and the Deployment (cluster). */}}
{{- define "tunnel-router.podTemplate" -}}
metadata:
  labels:
    {{- include "tunnel-router.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include "tunnel-router.routerIni" . | sha256sum }}
    # The Secret values given to the chart: a new token, key or store URL restarts the pods
    # (a generated token is not in it, so renders without access to the cluster agree). Through
    # scrypt (derivePassword), not a bare hash: whoever reads the pod must not be able to test
    # guesses of a store password against it at the speed of SHA-256.
    checksum/secret: {{ derivePassword 1 "long" (list .Values.adminToken.value .Values.dataKey.value .Values.store.url | toJson) "tunnel-router" "checksum/secret" | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "tunnel-router.serviceAccountName" . }}
  automountServiceAccountToken: false
  # No variables per Service of the namespace: a Service named tunnel-router-* would give the
  # pod TUNNEL_ROUTER_* variables of its own.
  enableServiceLinks: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  # Above runtime.drain_timeout_ms: SIGTERM lets in-flight requests finish, then exits 0.
  terminationGracePeriodSeconds: {{ include "tunnel-router.terminationGracePeriodSeconds" . }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  {{- if .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- tpl (toYaml .Values.topologySpreadConstraints) . | nindent 4 }}
  {{- else }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "tunnel-router.selectorLabels" . | nindent 10 }}
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "tunnel-router.selectorLabels" . | nindent 10 }}
  {{- end }}
  containers:
    - name: tunnel-router
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command: ["/usr/local/bin/tunnel-router", "serve", "--config", "/etc/tunnel-router/config/router.ini"]
      ports:
        - name: ingress
          containerPort: 7080
          protocol: TCP
        - name: public
          containerPort: 7443
          protocol: TCP
        - name: admin
          containerPort: 7090
          protocol: TCP
      env:
        - name: TUNNEL_ROUTER_ADMIN_TOKEN
          valueFrom:
            secretKeyRef:
              name: {{ .Values.adminToken.existingSecret | default (include "tunnel-router.secretName" .) }}
              key: {{ ternary .Values.adminToken.existingSecretKey "admin-token" (not (empty .Values.adminToken.existingSecret)) }}
        {{- if or .Values.dataKey.value .Values.dataKey.existingSecret }}
        - name: TUNNEL_ROUTER_DATA_KEY
          valueFrom:
            secretKeyRef:
              name: {{ .Values.dataKey.existingSecret | default (include "tunnel-router.secretName" .) }}
              key: {{ ternary .Values.dataKey.existingSecretKey "data-key" (not (empty .Values.dataKey.existingSecret)) }}
        {{- end }}
        {{- if include "tunnel-router.clusterMode" . }}
        - name: TUNNEL_ROUTER_STORE_URL
          valueFrom:
            secretKeyRef:
              name: {{ .Values.store.existingSecret | default (include "tunnel-router.secretName" .) }}
              key: {{ ternary .Values.store.existingSecretKey "store-url" (not (empty .Values.store.existingSecret)) }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /healthz
          port: admin
        periodSeconds: 2
        failureThreshold: {{ div (add .Values.startupSeconds 1) 2 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: admin
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 3
      readinessProbe:
        httpGet:
          path: /readyz
          port: admin
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 2
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        privileged: false
        capabilities:
          drop: [ALL]
      volumeMounts:
        - name: config
          mountPath: /etc/tunnel-router/config
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- if not (include "tunnel-router.clusterMode" .) }}
        - name: data
          mountPath: /var/lib/tunnel-router
        {{- end }}
        {{- if .Values.publicTls.existingSecret }}
        - name: public-tls
          mountPath: /etc/tunnel-router/tls
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "tunnel-router.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if .Values.publicTls.existingSecret }}
    - name: public-tls
      secret:
        secretName: {{ .Values.publicTls.existingSecret }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
