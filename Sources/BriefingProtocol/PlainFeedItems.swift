import Foundation
import BriefingModel
import BriefingText

/// Reads one plain-feed item as real feeds write it, keeping what it can: a member of the wrong type is
/// dropped with a warning, the item kept. Only an element that is not a JSON object (or not JSON) is
/// skipped whole. A well-formed item takes the fast reader; anything else is read here member by member.
public enum PlainFeedItems {
    /// The item in `data` (its `position` in the document, 0-based, names it in warnings until its id is
    /// known), or nil when it is not an object; with the warnings it gave.
    public static func item(from data: Data, position: Int) -> (FeedItem?, [FeedWarning]) {
        if let item = FastWireReader.item(from: data), !item.id.isEmpty { return (item, []) }
        let name = "#\(position + 1)"
        guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return (nil, [FeedWarning(item: name, reason: "not valid JSON")])
        }
        guard let object = json as? [String: Any] else {
            return (nil, [FeedWarning(item: name, reason: "not a JSON object")])
        }
        return item(from: object, name: name)
    }

    static func item(from object: [String: Any], name: String) -> (FeedItem?, [FeedWarning]) {
        var warnings: [FeedWarning] = []
        let id = identifier(object["id"])
        let label = id ?? name
        func string(_ key: String) -> String? {
            switch object[key] {
            case nil, is NSNull: return nil
            case let text as String: return text
            case let other?:
                warnings.append(FeedWarning(item: label, field: key, reason: "not a string (\(kind(of: other)))"))
                return nil
            }
        }
        if let value = object["id"], !(value is NSNull), id == nil {
            warnings.append(FeedWarning(item: label, field: "id", reason: "not a string or number (\(kind(of: value)))"))
        }
        var item = FeedItem(id: id ?? "", url: string("url"), externalURL: string("external_url"), title: string("title"),
                            contentHTML: string("content_html"), contentText: string("content_text"),
                            summary: string("summary"), image: string("image"), bannerImage: string("banner_image"),
                            datePublished: string("date_published"), dateModified: string("date_modified"),
                            language: string("language"))
        item.tags = tags(object["tags"], label, &warnings)
        item.authors = authors(object["authors"], label, "authors", &warnings)
        item.author = authors(object["author"], label, "author", &warnings)?.first
        if let info = object["_briefing"], !(info is NSNull) {
            if let data = try? JSONSerialization.data(withJSONObject: info),
               let decoded = try? WireCoding.decoder().decode(ItemInfo.self, from: data) {
                item.briefing = decoded
            } else {
                warnings.append(FeedWarning(item: label, field: "_briefing", reason: "not Briefing item data"))
            }
        }
        return (item, warnings)
    }

    /// A string id as it is; a number (JSON Feed 1.0 allows one) as its decimal text; nil otherwise.
    static func identifier(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber where !isBoolean(number):
            let double = number.doubleValue
            guard double.isFinite else { return nil }
            if double == double.rounded(), abs(double) < 9.0e15 { return String(Int64(double)) }
            return String(double)
        default: return nil
        }
    }

    /// An array of strings; one string is split on commas (some sites write `"tags": "a, b"`).
    static func tags(_ value: Any?, _ label: String, _ warnings: inout [FeedWarning]) -> [String]? {
        switch value {
        case nil, is NSNull: return nil
        case let text as String:
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        case let array as [Any]:
            let strings = array.compactMap { $0 as? String }
            if strings.count < array.count {
                warnings.append(FeedWarning(item: label, field: "tags", reason: "\(array.count - strings.count) tags that are not strings"))
            }
            return strings
        case let other?:
            warnings.append(FeedWarning(item: label, field: "tags", reason: "not a list of strings (\(kind(of: other)))"))
            return nil
        }
    }

    /// `authors` (an array) or `author` (JSON Feed 1.0: one object); members that are not strings are left out.
    static func authors(_ value: Any?, _ label: String, _ field: String, _ warnings: inout [FeedWarning]) -> [Author]? {
        func author(_ object: [String: Any]) -> Author {
            Author(name: object["name"] as? String, url: object["url"] as? String, avatar: object["avatar"] as? String)
        }
        switch value {
        case nil, is NSNull: return nil
        case let object as [String: Any]: return [author(object)]
        case let array as [Any]:
            let objects = array.compactMap { $0 as? [String: Any] }
            if objects.count < array.count {
                warnings.append(FeedWarning(item: label, field: field, reason: "\(array.count - objects.count) entries that are not objects"))
            }
            return objects.map(author)
        case let other?:
            warnings.append(FeedWarning(item: label, field: field, reason: "not an author object (\(kind(of: other)))"))
            return nil
        }
    }

    static func kind(of value: Any) -> String {
        switch value {
        case let number as NSNumber: isBoolean(number) ? "a boolean" : "a number"
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "another type"
        }
    }

    /// JSONSerialization hands JSON booleans over as NSNumbers of type `char`, which no JSON number becomes.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
