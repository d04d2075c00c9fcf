#pragma once

#include <string_view>

namespace tr::codecs::samples {

/// V1, a real push (docs/protocol.md §2), as a full ThingPark uplink with two base stations.
inline constexpr std::string_view v1_uplink_json = R"({"DevEUI_uplink": {
  "Time": "2021-04-07T08:49:50.413+00:00",
  "DevEUI": "20635F0108000496",
  "FPort": 17,
  "FCntUp": 18,
  "ADRbit": 1,
  "MType": 2,
  "FCntDn": 7,
  "payload_hex": "032ce4850919d85d4c9f793ad148d24f32f3c6b5488f5a087cbeb1488f5a998c83ab",
  "mic_hex": "9cbd8a0a",
  "Lrcid": "00000201",
  "LrrRSSI": -67.000000,
  "LrrSNR": 9.250000,
  "LrrESP": -67.487045,
  "SpFact": 7,
  "SubBand": "G1",
  "Channel": "LC2",
  "DevLrrCnt": 2,
  "Lrrid": "FF0109A4",
  "Late": 0,
  "LrrLAT": 48.874580,
  "LrrLON": 2.333330,
  "Lrrs": {"Lrr": [
    {"Lrrid": "FF0109A4", "Chain": 0, "LrrRSSI": -67.000000, "LrrSNR": 9.250000, "LrrESP": -67.487045},
    {"Lrrid": "FF0109B1", "Chain": 0, "LrrRSSI": -101.000000, "LrrSNR": -3.75, "LrrESP": -108.0}
  ]},
  "CustomerID": "100002167",
  "CustomerData": {"alr": {"pro": "ADRF/DEMO", "ver": "1"}, "tags": ["a", "b"]},
  "ModelCfg": "0",
  "DevAddr": "04A4B3C2",
  "TxPower": 14.000000,
  "NbTrans": 1,
  "Frequency": 868.3,
  "DynamicClass": "A",
  "InstantPER": 0.000000,
  "MeanPER": 1.50,
  "Confirmed": false
}})";

/// The query of V1 (decoded values).
inline constexpr std::string_view v1_query =
    "LrnDevEui=20635F0108000496&LrnFPort=17&LrnInfos=TWA_100002167.1111.AS-1-111974"
    "&AS_ID=TWA_100002167.1111.AS&Time=2021-04-07T08:49:51.551+00:00";
inline constexpr std::string_view v1_key = "f3203a20a2e8dfaf6686b621f56d05e3";
inline constexpr std::string_view v1_token =
    "196c22898bf95fcf48b72be198c89256410660b9b514539651344baa594ad74f";

/// V2 and V3: documentation examples whose key has a capital E (hashed verbatim).
inline constexpr std::string_view v2_v3_key = "46ab678cd45df4a4e4b375Eacd096acc";
inline constexpr std::string_view v2_token =
    "fd0b0b00464aa798a59282d64eaa70813e33bff87682880db49638569d096aad";
inline constexpr std::string_view v3_wire_query =
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14%3A28%3A00.333%2B02%3A00";
inline constexpr std::string_view v3_hashed =
    "DevEUI=000000000F1D8693&FPort=1&Payload=00&AS_ID=app1.sample.com"
    "&Time=2016-01-11T14:28:00.333+02:00";
inline constexpr std::string_view v3_token =
    "ea8f31d2299cbece8e180a3012766c4df15fe3cf2e142d9fdf4035b5894ec886";

inline constexpr std::string_view downlink_sent_json = R"({"DevEUI_downlink_Sent": {
  "Time": "2021-04-07T09:00:00.000+00:00", "DevEUI": "20635F0108000496", "FPort": 2,
  "FCntDn": 8, "CustomerID": "100002167", "DeliveryStatus": 1, "DeliveryFailedCause1": "A0"}})";

inline constexpr std::string_view notification_json = R"({"DevEUI_notification": {
  "Time": "2021-04-07T09:00:00.000+00:00", "DevEUI": "20635F0108000496",
  "CustomerID": "100002167", "Type": "Join", "Lrrs": {"Lrr": [{"Lrrid": "FF0109A4"}]}}})";

inline constexpr std::string_view location_json = R"({"DevEUI_location": {
  "Time": "2021-04-07T09:00:00.000+00:00", "DevEUI": "20635F0108000496",
  "CustomerID": "100002167", "DevLocTime": "2021-04-07T08:59:59.000+00:00",
  "DevLAT": 48.8745, "DevLON": 2.3333, "DevLocRadius": 120.5}})";

}  // namespace tr::codecs::samples
