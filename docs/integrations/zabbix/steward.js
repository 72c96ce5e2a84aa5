// Steward webhook media type for Zabbix 6.0 and later (runs in Zabbix's Duktape: ES5 only).
// Sends each problem, update and recovery to Steward's /hooks/zabbix; Steward answers with
// tags (__zbx_steward_incident, __zbx_steward_link) that Zabbix keeps on the problem
// ("Process tags"), so its retries and updates land on the same incident.
var Steward = {
    params: {},

    setParams: function (params) {
        ['steward_url', 'steward_token', 'event_id', 'event_value', 'event_nseverity', 'host_name', 'event_name']
            .forEach(function (name) {
                if (typeof params[name] !== 'string' || params[name].trim() === '') {
                    throw 'Parameter "' + name + '" is missing or empty.';
                }
            });
        Steward.params = params;
        Steward.params.steward_url = params.steward_url.replace(/\/+$/, '');
    },

    // A macro Zabbix could not resolve arrives as itself ("{EVENT.TAGSJSON}"): send nothing.
    given: function (value) {
        if (typeof value !== 'string') {
            return '';
        }
        return /^\{[^{}]+\}$/.test(value.trim()) ? '' : value;
    },

    body: function () {
        var p = Steward.params;
        var tags = [];
        try {
            tags = JSON.parse(Steward.given(p.event_tags) || '[]');
        } catch (error) {
            Zabbix.log(4, '[ Steward webhook ] Tags are not JSON: ' + p.event_tags);
        }
        return {
            event_id: p.event_id,
            event_value: p.event_value,
            event_update_status: Steward.given(p.event_update_status),
            event_ack_status: Steward.given(p.event_ack_status),
            event_nseverity: p.event_nseverity,
            host_name: p.host_name,
            host_ip: Steward.given(p.host_ip),
            trigger_id: Steward.given(p.trigger_id),
            event_name: p.event_name,
            alert_message: Steward.given(p.alert_message),
            event_tags: tags,
            zabbix_url: Steward.given(p.zabbix_url)
        };
    },

    send: function () {
        var request = new HttpRequest();
        if (typeof Steward.params.http_proxy === 'string' && Steward.params.http_proxy.trim() !== '') {
            request.setProxy(Steward.params.http_proxy);
        }
        request.addHeader('Content-Type: application/json');
        request.addHeader('Authorization: Bearer ' + Steward.params.steward_token);
        var data = JSON.stringify(Steward.body());
        Zabbix.log(4, '[ Steward webhook ] Sending: ' + data);
        var response = request.post(Steward.params.steward_url + '/hooks/zabbix', data);
        var status = request.getStatus();
        Zabbix.log(4, '[ Steward webhook ] Answer ' + status + ': ' + response);
        var answer = null;
        try {
            answer = JSON.parse(response);
        } catch (error) {
            answer = null;
        }
        if (status < 200 || status >= 300) {
            var message = answer && answer.error ? answer.error.message : response;
            throw 'Steward answered ' + status + ': ' + message;
        }
        return answer || {};
    }
};

try {
    Steward.setParams(JSON.parse(value));
    var answer = Steward.send();
    return JSON.stringify({ tags: answer.tags || {} });
} catch (error) {
    Zabbix.log(3, '[ Steward webhook ] Failed: ' + error);
    throw 'Sending to Steward failed: ' + error;
}
